// The optional MPI addon (nestflow_mpi.node), built only when CMake finds an
// MPI implementation. It moves opaque byte messages between ranks; what the
// bytes mean (batches of points, likelihood values, errors) is lib/mpi's.
//
// Threads: a receive polls on the libuv pool so the event loop (signals,
// timers) stays free, while sends run on the main thread. Every MPI call
// holds one mutex, so MPI_THREAD_SERIALIZED is enough.
#include <dlfcn.h>
#include <mpi.h>
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../napi_util.h"

namespace nestflow {
namespace {

std::mutex mpiMutex;
std::atomic<bool> interrupted{false};
int worldRank = -1;
int worldSize = 0;

std::string mpiErrorText(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string(what) + " failed: " + mpiErrorText(code));
}

bool isInitialized() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init && !fin;
}

// Node loads addons without RTLD_GLOBAL, so the MPI library's symbols stay
// private to this addon; OpenMPI's plugins are shared objects that expect to
// find them globally. Promote the already-loaded library before MPI_Init.
void promoteMpiSymbols() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &info) != 0 && info.dli_fname != nullptr)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
}

Napi::Value LibraryVersion(const Napi::CallbackInfo& info) {
  // Callable before MPI_Init and after MPI_Finalize (MPI-3).
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<std::size_t>(length));
  const auto end = text.find_last_not_of(" \n\r\t");
  text.erase(end == std::string::npos ? 0 : end + 1);
  return Napi::String::New(info.Env(), text);
}

const char* threadLevelName(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE: return "single";
    case MPI_THREAD_FUNNELED: return "funneled";
    case MPI_THREAD_SERIALIZED: return "serialized";
    default: return "multiple";
  }
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(mpiMutex);
  int fin = 0;
  MPI_Finalized(&fin);
  if (fin) {
    Napi::Error::New(env, "MPI was already finalized in this process; it cannot be initialized again").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int init = 0, provided = MPI_THREAD_SINGLE;
  MPI_Initialized(&init);
  try {
    if (!init) {
      promoteMpiSymbols();
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
    } else {
      MPI_Query_thread(&provided);
    }
    if (provided < MPI_THREAD_SERIALIZED)
      throw std::runtime_error(std::string("this MPI library gives thread level '") + threadLevelName(provided) +
                               "'; nestflow needs 'serialized' or better (receives wait on a pool thread)");
    // Errors come back as codes we turn into JS errors, not as an abort of the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(MPI_COMM_WORLD, &worldRank), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &worldSize), "MPI_Comm_size");
  } catch (const std::exception& e) {
    Napi::Error::New(env, e.what()).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  interrupted = false;
  Napi::Object out = Napi::Object::New(env);
  out.Set("rank", worldRank);
  out.Set("size", worldSize);
  out.Set("threadLevel", threadLevelName(provided));
  return out;
}

void requireInitialized() {
  if (!isInitialized()) throw ArgError{false, "MPI is not initialized (call init() first) or already finalized"};
}

int readRank(const Napi::Value& v, const char* name, bool allowAny) {
  return static_cast<int>(readInt(v, name, allowAny ? -1 : 0, worldSize - 1));
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dest = 0, tag = 0;
  const std::uint8_t* bytes = nullptr;
  std::size_t length = 0;
  try {
    requireInitialized();
    dest = readRank(info[0], "dest", false);
    tag = static_cast<int>(readInt(info[1], "tag", 0, 32767));
    if (!info[2].IsTypedArray()) throw ArgError{false, "data must be a typed array"};
    auto view = info[2].As<Napi::TypedArray>();
    length = view.ByteLength();
    if (length > static_cast<std::size_t>(INT_MAX)) throw ArgError{true, "data must be under 2 GiB"};
    bytes = static_cast<const std::uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  } catch (const ArgError& e) {
    return throwArgError(env, e);
  }
  std::lock_guard<std::mutex> lock(mpiMutex);
  const int rc = MPI_Send(bytes, static_cast<int>(length), MPI_BYTE, dest, tag, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS)
    Napi::Error::New(env, "MPI_Send to rank " + std::to_string(dest) + " failed: " + mpiErrorText(rc)).ThrowAsJavaScriptException();
  return env.Undefined();
}

struct Received {
  int source = 0;
  int tag = 0;
  std::vector<std::uint8_t> bytes;
};

// Polls for a message, sleeping between probes (up to 1 ms) rather than
// spinning: idle ranks then leave their core to the likelihood and the flow.
void receive(int source, Received& out) {
  auto pause = std::chrono::microseconds(10);
  MPI_Status status{};
  for (;;) {
    if (interrupted) throw std::runtime_error("MPI receive interrupted");
    int flag = 0;
    {
      std::lock_guard<std::mutex> lock(mpiMutex);
      check(MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
    }
    if (flag) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
  std::lock_guard<std::mutex> lock(mpiMutex);
  int count = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  out.source = status.MPI_SOURCE;
  out.tag = status.MPI_TAG;
  out.bytes.resize(static_cast<std::size_t>(std::max(count, 0)));
  check(MPI_Recv(out.bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
}

Napi::Value Recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int source = MPI_ANY_SOURCE;
  try {
    requireInitialized();
    if (!info[0].IsUndefined()) {
      const int s = readRank(info[0], "source", true);
      source = s < 0 ? MPI_ANY_SOURCE : s;
    }
  } catch (const ArgError& e) {
    return throwArgError(env, e);
  }
  auto received = std::make_shared<Received>();
  return PromiseWorker::start(
      env, [source, received] { receive(source, *received); },
      [received](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("source", received->source);
        out.Set("tag", received->tag);
        auto data = Napi::ArrayBuffer::New(e, received->bytes.size());
        if (!received->bytes.empty()) std::memcpy(data.Data(), received->bytes.data(), received->bytes.size());
        out.Set("data", data);
        return out;
      });
}

// Ends pending receives with an error (before finalizing on a failure).
Napi::Value Interrupt(const Napi::CallbackInfo& info) {
  interrupted = true;
  return info.Env().Undefined();
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(mpiMutex);
  if (isInitialized()) {
    const int rc = MPI_Finalize();
    if (rc != MPI_SUCCESS) Napi::Error::New(env, "MPI_Finalize failed: " + mpiErrorText(rc)).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value Initialized(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(mpiMutex);
  return Napi::Boolean::New(info.Env(), isInitialized());
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("libraryVersion", Napi::Function::New(env, LibraryVersion));
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("send", Napi::Function::New(env, Send));
  exports.Set("recv", Napi::Function::New(env, Recv));
  exports.Set("interrupt", Napi::Function::New(env, Interrupt));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("initialized", Napi::Function::New(env, Initialized));
  return exports;
}

}  // namespace
}  // namespace nestflow

// NODE_API_MODULE pastes the function's name into identifiers: no namespace.
static Napi::Object InitMpiAddon(Napi::Env env, Napi::Object exports) { return nestflow::Register(env, exports); }
NODE_API_MODULE(nestflow_mpi, InitMpiAddon)
