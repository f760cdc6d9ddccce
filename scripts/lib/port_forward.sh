# shellcheck shell=bash
# The one way the project's scripts reach a pod or Service of the test bed from the host.
#
# port_forward NAMESPACE TARGET REMOTE_PORT LOG
#   Starts `kubectl port-forward -n NAMESPACE TARGET :REMOTE_PORT` in the background on a
#   local port the kernel picks (so parallel runs never collide) and waits up to 10 s for
#   kubectl to say which. Sets fwd_pid (always, so the caller can stop it) and fwd_port.
#   Returns 1, with kubectl's output on stderr, when it did not start.
port_forward() {
  local ns=$1 target=$2 remote_port=$3 log=$4 _
  : >"$log"
  kubectl port-forward -n "$ns" "$target" ":$remote_port" >"$log" 2>&1 &
  fwd_pid=$!
  fwd_port=""
  for _ in $(seq 100); do
    fwd_port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) .*/\1/p' "$log")
    [ -n "$fwd_port" ] && return 0
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}
