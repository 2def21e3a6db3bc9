#pragma once
// Deterministic identifiers: the same seed, lot and position give the same
// id on every run and every machine; nothing personal goes in.

#include <cstdint>
#include <string>
#include <string_view>

namespace pilotage::simulator {

// A UUID-shaped event id (8-4-4-4-12 hex, RFC 9562 version 8 "custom"
// layout) from a hash of seed, lot, beneficiary number and event index.
std::string EventId(uint64_t seed, uint64_t lot_hash, uint32_t beneficiary, uint8_t seq);

// Pseudonyms and appointment ids are 13 letters from a digit-free alphabet
// (64 bits of a hash): a run of digits in an id could look like a phone
// number or a NIR to the gateway's personal-data guard, which rightly
// refuses it (hex ids did, about 1 event in 100).

// The beneficiary's opaque pseudonym: the operator's internal reference
// "b-<lot>-<n>" hashed with the seed, e.g. "b-kqzdmhtawcpfr".
std::string BeneficiaryToken(uint64_t seed, std::string_view lot_id, uint32_t beneficiary);

// An opaque appointment id, "apt-" and 13 letters.
std::string AppointmentId(uint64_t seed, uint64_t lot_hash, uint32_t beneficiary,
                          uint8_t appointment);

}  // namespace pilotage::simulator
