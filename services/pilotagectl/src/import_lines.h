#pragma once
// The validation of an import file, line by line (pilotagectl import): the
// reader that keeps the file's SHA-256 and line numbers, and the checker that
// decodes a line (NDJSON or CSV) and validates it as the gateway would, with
// the operator's lots and contract starts. Both passes of an import use the
// same checker, so that what is written is what was validated.
//
// Not thread-safe: one reader and one checker per file and thread. Private
// to pilotagectl.

#include <openssl/evp.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "pilotage/intake/csv.h"
#include "pilotage/intake/intake.h"
#include "pilotage/pilotagectl/import.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::pilotagectl {

namespace fs = std::filesystem;

// SHA-256 of what is fed, as lowercase hex.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string Hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    std::string out;
    for (unsigned int i = 0; i < n; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// Reads a file line by line, keeping its digest and its line numbers.
class LineReader {
 public:
  explicit LineReader(const fs::path& path) : buffer_(new char[kBufferBytes]) {
    in_.rdbuf()->pubsetbuf(buffer_.get(), kBufferBytes);  // before open, to take effect
    in_.open(path, std::ios::binary);
  }
  bool ok() const { return static_cast<bool>(in_); }
  // The next line without its '\n'; false at the end of the file.
  bool Next(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++number_;
    at_end_without_newline_ = in_.eof();
    bytes_ += line.size() + (at_end_without_newline_ ? 0 : 1);
    sha_.Update(line);
    if (!at_end_without_newline_) sha_.Update("\n");
    return true;
  }
  int64_t number() const { return number_; }
  int64_t bytes() const { return bytes_; }
  bool at_end_without_newline() const { return at_end_without_newline_; }
  std::string Digest() { return sha_.Hex(); }

 private:
  static constexpr std::streamsize kBufferBytes = 1 << 20;
  std::unique_ptr<char[]> buffer_;
  std::ifstream in_;
  int64_t number_ = 0;
  int64_t bytes_ = 0;
  bool at_end_without_newline_ = false;
  Sha256 sha_;
};

// True for a line of spaces, tabs and '\r' only.
bool Blank(std::string_view line);
// The event's body field name ("appointment_held"), or "unknown".
std::string TypeOf(const v1::Event& e);
// "events[0].appointment_held.level" -> "appointment_held.level".
std::string WithoutIndex(const std::string& field);
// The Paris day of a Unix time, "YYYY-MM-DD".
std::string ParisDay(int64_t seconds);

// One line's outcome.
struct Checked {
  bool data = false;  // a data line (not blank, not the header)
  std::optional<intake::Refusal> refusal;
  v1::Event event;
  std::string type;
  bool recorded_from_file = false;
};

// Decodes and validates lines of one file; the same in both passes.
class LineChecker {
 public:
  LineChecker(const ImportOptions& options, bool csv, intake::Sender sender,
              intake::LotCalendar lots, absl::Time now)
      : options_(options),
        csv_(csv),
        sender_(std::move(sender)),
        lots_(std::move(lots)),
        now_(now) {
    validation_.keep_recorded_at = true;
  }

  // Whole-file refusal (bad CSV header), for line 1.
  std::optional<intake::Refusal> header_refusal;

  // Line `number`'s outcome (`at_end`: the file's last line, without
  // '\n'): blank and header lines are not data; a data line is an event
  // marked imported, or its refusal with the field named as the operator
  // wrote it (CSV column or JSON path without the index).
  Checked Check(std::string_view line, int64_t number, bool at_end);

 private:
  const ImportOptions& options_;
  bool csv_;
  intake::Sender sender_;
  intake::LotCalendar lots_;
  absl::Time now_;
  intake::ValidationOptions validation_;
  std::optional<intake::CsvDecoder> decoder_;
};

}  // namespace pilotage::pilotagectl
