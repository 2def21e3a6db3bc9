#include "pilotage/testing/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

extern char** environ;

namespace pilotage::testing {
namespace {

// `program` and `args` as exec wants them: `pointers` point into `strings`.
struct Argv {
  Argv(const std::string& program, const std::vector<std::string>& args) : strings{program} {
    strings.insert(strings.end(), args.begin(), args.end());
    for (auto& a : strings) pointers.push_back(a.data());
    pointers.push_back(nullptr);
  }
  Argv(const Argv&) = delete;
  Argv& operator=(const Argv&) = delete;

  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

}  // namespace

pid_t Spawn(const std::string& program, const std::vector<std::string>& args,
            const std::filesystem::path& log) {
  Argv argv(program, args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, argv.pointers[0], &actions, nullptr, argv.pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << program << ": " << std::strerror(rc);
    return -1;
  }
  return pid;
}

pid_t SpawnHeld(const std::string& program, const std::vector<std::string>& args,
                const std::filesystem::path& log) {
  Argv argv(program, args);
  const std::string log_path = log.string();
  const pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "cannot start " << program << ": " << std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the test process
    // has threads (Kafka clients).
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(127);
    raise(SIGSTOP);
    execve(argv.pointers[0], argv.pointers.data(), environ);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
    ADD_FAILURE() << program << " did not stop before it ran (wait status " << status << ")";
    return -1;
  }
  return pid;
}

bool Release(pid_t pid) { return pid > 0 && kill(pid, SIGCONT) == 0; }

int WaitExit(pid_t pid) {
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int WaitExitWithin(pid_t pid, std::chrono::milliseconds limit) {
  if (pid <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (done < 0 || std::chrono::steady_clock::now() >= deadline) return -1;
    // A bounded wait for a process's end, which nothing else signals here.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

RunResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     bool with_stderr) {
  std::string command = "'" + program + "'";
  for (const auto& a : args) command += " '" + a + "'";
  if (with_stderr) command += " 2>&1";
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << program;
    return result;
  }
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) result.output.append(buf, n);
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string TailOf(const std::filesystem::path& log, size_t bytes) {
  std::ifstream in(log);
  std::stringstream all;
  all << in.rdbuf();
  std::string s = all.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

nlohmann::json RunJson(const std::string& program, const std::vector<std::string>& args) {
  auto run = RunProgram(program, args, /*with_stderr=*/false);
  EXPECT_EQ(run.code, 0) << run.output;
  auto json = nlohmann::json::parse(run.output, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << run.output;
  return json;
}

CliOutcome CallCli(int (*run_cli)(int, const char* const*), const std::string& program,
                   const std::vector<std::string>& args) {
  std::vector<const char*> argv = {program.c_str()};
  for (const std::string& a : args) argv.push_back(a.c_str());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CliOutcome outcome;
  outcome.code = run_cli(static_cast<int>(argv.size()), argv.data());
  outcome.out = ::testing::internal::GetCapturedStdout();
  outcome.err = ::testing::internal::GetCapturedStderr();
  return outcome;
}

}  // namespace pilotage::testing
