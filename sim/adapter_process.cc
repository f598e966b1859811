#include "sim/adapter_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

namespace treesim {
namespace {

using Clock = std::chrono::steady_clock;

Status system_error(const char* call) {
  return Status::internal(std::string("starting the adapter: ") + call + ": " +
                          std::strerror(errno));
}

// Milliseconds left until `deadline`, for poll(): at least 0.
int milliseconds_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

Clock::time_point deadline_after(double seconds) {
  return Clock::now() + std::chrono::microseconds(static_cast<std::int64_t>(
                            std::ceil(std::max(seconds, 0.0) * 1'000'000)));
}

}  // namespace

Result<std::unique_ptr<AdapterProcess>> AdapterProcess::start(const std::string& command) {
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) {
    return system_error("socketpair");
  }
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    const Status status = system_error("pipe2");
    close(channel[0]);
    close(channel[1]);
    return status;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    const Status status = system_error("fork");
    for (const int fd : {channel[0], channel[1], error_pipe[0], error_pipe[1]}) close(fd);
    return status;
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec. dup2 clears close-on-exec on the copy.
    setpgid(0, 0);
    dup2(channel[1], STDIN_FILENO);
    dup2(channel[1], STDOUT_FILENO);
    dup2(error_pipe[1], STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    constexpr char kMessage[] = "treesim: could not run /bin/sh\n";
    ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    (void)ignored;
    _exit(127);
  }
  // Both sides set the group, so a kill right after fork reaches it either way.
  setpgid(pid, pid);
  close(channel[1]);
  close(error_pipe[1]);
  std::unique_ptr<AdapterProcess> process(new AdapterProcess());
  process->pid_ = pid;
  process->channel_ = channel[0];
  process->stderr_ = error_pipe[0];
  for (const int fd : {process->channel_, process->stderr_}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return process;
}

AdapterProcess::~AdapterProcess() { kill(); }

void AdapterProcess::keep_stderr(const char* data, std::size_t size) {
  stderr_text_.append(data, size);
  if (stderr_text_.size() > 2 * kStderrKeptBytes) {
    stderr_text_.erase(0, stderr_text_.size() - kStderrKeptBytes);
  }
}

void AdapterProcess::drain_stderr() {
  if (stderr_ < 0) return;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(stderr_, buffer, sizeof buffer);
    if (got > 0) {
      keep_stderr(buffer, static_cast<std::size_t>(got));
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) {  // every writer is gone
      close(stderr_);
      stderr_ = -1;
    }
    return;
  }
}

AdapterProcess::Exchange AdapterProcess::exchange(const std::string& request,
                                                  double timeout_seconds) {
  const Clock::time_point deadline = deadline_after(timeout_seconds);
  Exchange exchange;
  if (channel_ < 0) {
    exchange.outcome = Outcome::kClosed;
    return exchange;
  }
  const std::string out = request + "\n";
  std::size_t written = 0;
  char buffer[65536];
  for (;;) {
    if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
      exchange.line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      drain_stderr();
      return exchange;
    }
    if (pending_.size() > kLineBytesMax) {
      exchange.outcome = Outcome::kTooLong;
      exchange.line = pending_.substr(0, 200);
      return exchange;
    }
    pollfd polled[2] = {
        {channel_, static_cast<short>(POLLIN | (written < out.size() ? POLLOUT : 0)), 0},
        {stderr_, POLLIN, 0}};
    const int left = milliseconds_left(deadline);
    const int ready = poll(polled, stderr_ >= 0 ? 2 : 1, left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      if (left > 0 && ready < 0) {
        exchange.outcome = Outcome::kClosed;
        exchange.line = pending_;
        return exchange;
      }
      if (Clock::now() < deadline) continue;
      drain_stderr();
      exchange.outcome = Outcome::kTimeout;
      exchange.line = pending_;
      return exchange;
    }
    if (stderr_ >= 0 && polled[1].revents != 0) drain_stderr();
    if (written < out.size() && (polled[0].revents & POLLOUT) != 0) {
      const ssize_t sent = send(channel_, out.data() + written, out.size() - written, MSG_NOSIGNAL);
      if (sent > 0) {
        written += static_cast<std::size_t>(sent);
      } else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        drain_stderr();
        exchange.outcome = Outcome::kClosed;
        exchange.line = pending_;
        return exchange;
      }
    }
    if ((polled[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t got = recv(channel_, buffer, sizeof buffer, 0);
      if (got > 0) {
        pending_.append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        // End of file: the adapter closed its output. Collect its last words.
        drain_stderr();
        exchange.outcome = Outcome::kClosed;
        exchange.line = pending_;
        return exchange;
      }
    }
    if (Clock::now() >= deadline) {
      drain_stderr();
      exchange.outcome = Outcome::kTimeout;
      exchange.line = pending_;
      return exchange;
    }
  }
}

void AdapterProcess::reap(bool block) {
  if (reaped_ || pid_ < 0) return;
  int status = 0;
  pid_t done = 0;
  do {
    done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == pid_) {
    reaped_ = true;
    wait_status_ = status;
  } else if (done < 0) {
    reaped_ = true;  // not our child any more (ECHILD): nothing to wait for
    wait_status_ = 0;
  }
}

void AdapterProcess::kill() {
  if (pid_ >= 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap(/*block=*/true);
  }
  if (channel_ >= 0) {
    close(channel_);
    channel_ = -1;
  }
  drain_stderr();
  if (stderr_ >= 0) {
    close(stderr_);
    stderr_ = -1;
  }
}

void AdapterProcess::close_and_wait(double timeout_seconds) {
  if (channel_ >= 0) {
    close(channel_);
    channel_ = -1;
  }
  const Clock::time_point deadline = deadline_after(timeout_seconds);
  while (!reaped_ && pid_ >= 0) {
    reap(/*block=*/false);
    if (reaped_) break;
    if (Clock::now() >= deadline) break;
    drain_stderr();
    usleep(1000);
  }
  kill();
}

std::string AdapterProcess::exit_description() {
  reap(/*block=*/false);
  if (!reaped_) return "still running";
  if (WIFEXITED(wait_status_))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_))
    return "killed by signal " + std::to_string(WTERMSIG(wait_status_));
  return "ended (wait status " + std::to_string(wait_status_) + ")";
}

std::string AdapterProcess::stderr_tail() {
  drain_stderr();
  if (stderr_text_.size() <= kStderrKeptBytes) return stderr_text_;
  return stderr_text_.substr(stderr_text_.size() - kStderrKeptBytes);
}

}  // namespace treesim
