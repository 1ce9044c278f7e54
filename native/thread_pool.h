// A persistent pool: spawning threads per sub-millisecond call eats the gain.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nestflow {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(task, worker) for task in [0, tasks) on all threads (the caller
  // included, as worker 0); tasks are taken dynamically. Returns when all are
  // done. The first exception thrown by a task is rethrown here.
  void run(int tasks, const std::function<void(int task, int worker)>& fn);

 private:
  void workerLoop(int worker);
  void drain(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int, int)>* job_ = nullptr;
  int jobTasks_ = 0;
  std::atomic<int> nextTask_{0};
  int active_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

// Threads to use when the caller asks for 0: OMP_NUM_THREADS if set, else the
// hardware concurrency.
int defaultThreadCount();

}  // namespace nestflow
