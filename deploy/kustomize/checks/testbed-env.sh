# Sourced by the integration checks: loads the test bed's exports (KUBECONFIG, PATH with the
# pinned kubectl). Same lookup as testbed_support.h: WERF_TESTBED_ENV, else the env file in
# WERF_TESTBED_DIR (default ~/.cache/werf-operator/testbed). CTest's werf_testbed fixture has
# brought the test bed up before these tests run.
env_file=${WERF_TESTBED_ENV:-${WERF_TESTBED_DIR:-${WERF_OPERATOR_CACHE:-$HOME/.cache/werf-operator}/testbed}/env.sh}
if [ ! -r "$env_file" ]; then
  echo "no test bed environment at $env_file; run test/integration/testbed/testbed up" >&2
  exit 1
fi
# shellcheck source=/dev/null
source "$env_file"
