# protoc 3.21 emits `namespace operator` for package werf.operator.v1, and
# `operator` is a C++ keyword. Newer protoc versions append an underscore; this
# does the same, so the generated C++ namespace is werf::operator_::v1.
# Usage: cmake -DFILES=a.pb.h,a.pb.cc -P rename_cpp_namespace.cmake
string(REPLACE "," ";" files "${FILES}")
foreach(file IN LISTS files)
  file(READ "${file}" text)
  string(REPLACE "namespace operator {" "namespace operator_ {" text "${text}")
  string(REPLACE "// namespace operator\n" "// namespace operator_\n" text "${text}")
  string(REPLACE "werf::operator::v1" "werf::operator_::v1" text "${text}")
  file(WRITE "${file}" "${text}")
endforeach()
