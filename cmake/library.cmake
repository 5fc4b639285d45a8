# liblioncub.so for applications; lioncub_static for the tests and benchmarks, which also reach
# internal headers. Both are the objects that each layer added to lioncub_objects.
add_library(lioncub SHARED $<TARGET_OBJECTS:lioncub_objects> ${LIONCUB_CPU_OBJECTS})
add_library(lioncub_static STATIC $<TARGET_OBJECTS:lioncub_objects> ${LIONCUB_CPU_OBJECTS})
foreach(t lioncub lioncub_static)
  target_include_directories(${t} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  target_link_libraries(${t} PUBLIC Threads::Threads)
  if(LIONCUB_HAVE_CUDA)
    target_link_libraries(${t} PUBLIC CUDA::cudart_static)  # loads the driver at run time
    target_compile_definitions(${t} PUBLIC LIONCUB_HAVE_CUDA=1)
  endif()
endforeach()
target_include_directories(lioncub_static PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
# rendezvous/crypto.cc: the store's secret. Private to the shared library (its users need not link
# libcrypto themselves); the static libraries pass it on.
target_link_libraries(lioncub PRIVATE OpenSSL::Crypto)
target_link_libraries(lioncub_static PUBLIC OpenSSL::Crypto)
# Next to the net plugin (build/lib), where the library looks for it first.
set_target_properties(lioncub PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                                         LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

# The host backend's net client dlopens the net plugin.
target_link_libraries(lioncub PRIVATE ${CMAKE_DL_LIBS})
target_link_libraries(lioncub_static PUBLIC ${CMAKE_DL_LIBS})

# No NCCL link for liblioncub (resolved at run time); the static library keeps it for the tests
# and benchmarks that call NCCL themselves (the backend then finds that NCCL already loaded).
if(LIONCUB_HAVE_NCCL)
  target_link_libraries(lioncub_static PUBLIC NCCL::nccl)
  target_compile_definitions(lioncub_static PUBLIC LIONCUB_HAVE_NCCL=1)
endif()
