# liblioncub.so for applications; lioncub_static for the tests and benchmarks, which also reach
# internal headers. Both are the objects that each layer added to lioncub_objects.
add_library(lioncub SHARED $<TARGET_OBJECTS:lioncub_objects> ${LIONCUB_CPU_OBJECTS})
add_library(lioncub_static STATIC $<TARGET_OBJECTS:lioncub_objects> ${LIONCUB_CPU_OBJECTS})
foreach(t lioncub lioncub_static)
  target_include_directories(${t} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  target_link_libraries(${t} PUBLIC Threads::Threads OpenSSL::Crypto)  # rendezvous/crypto.cc
  if(LIONCUB_HAVE_CUDA)
    target_link_libraries(${t} PUBLIC CUDA::cudart)
    target_compile_definitions(${t} PUBLIC LIONCUB_HAVE_CUDA=1)
  endif()
endforeach()
target_include_directories(lioncub_static PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
# Next to the net plugin (build/lib), where the library looks for it first.
set_target_properties(lioncub PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                                         LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

# The host backend drives the net plugin through lioncub_net_driver; its symbols stay out of
# liblioncub.so's dynamic table.
target_link_libraries(lioncub PRIVATE lioncub_net_driver ${CMAKE_DL_LIBS})
target_link_options(lioncub PRIVATE -Wl,--exclude-libs,liblioncub_net_driver.a)
target_link_libraries(lioncub_static PUBLIC lioncub_net_driver ${CMAKE_DL_LIBS})

if(LIONCUB_HAVE_NCCL)
  target_link_libraries(lioncub PRIVATE NCCL::nccl)
  target_link_libraries(lioncub_static PUBLIC NCCL::nccl)
  target_compile_definitions(lioncub_static PUBLIC LIONCUB_HAVE_NCCL=1)
endif()
