# Every dependency is a Debian 12 package; README lists the apt-get line.
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)           # libtorch-dev (1.13, CPU) or a CUDA libtorch on the GPU host
find_package(TBB REQUIRED)             # libtbb-dev (oneTBB 2021)
find_package(SQLiteCpp REQUIRED)       # libsqlitecpp-dev: RAII wrapper over SQLite 3
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(Protobuf REQUIRED)        # libprotobuf-dev: ONNX models are protobuf messages
find_package(ONNX REQUIRED)            # libonnx-dev 1.12: targets onnx (checker, shape inference) and onnx_proto
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
find_library(XXHASH_LIBRARY xxhash REQUIRED)
add_library(zcnas_xxhash INTERFACE)
target_include_directories(zcnas_xxhash INTERFACE ${XXHASH_INCLUDE_DIR})
target_link_libraries(zcnas_xxhash INTERFACE ${XXHASH_LIBRARY})

# Torch's exported flags include -D_GLIBCXX_USE_CXX11_ABI; keep them on the torch target only.
add_library(zcnas_torch INTERFACE)
target_link_libraries(zcnas_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(zcnas_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
