# The test bed's real node, sourced by `testbed` (see README.md, "The real node").
#
# A kubelet, containerd (Debian's, with runc and the CNI plugins) and kube-proxy run next to
# the kwok nodes, registered with the test bed's API server. Everything of the node lives in
# one mount namespace and one network namespace of its own, held open by the `node-ns`
# process:
# - the paths the kubelet and containerd 1.6 write whatever they are told
#   (/var/lib/kubelet/device-plugins, /var/log/containers, /run/containerd/{s,fifo}, /var/lib/cni,
#   /run/netns) are bind mounts of directories under the state directory, visible only there;
# - the pod bridge, the veth pairs, kube-proxy's and the bridge plugin's iptables chains,
#   net.ipv4.ip_forward and route_localnet are the namespace's own;
# - the kernel settings the kubelet would otherwise change for the whole machine
#   (kernel.panic, vm.overcommit_memory ...) are masked there by read-only files that already
#   hold the values the kubelet wants.
# When the last process of the node exits the kernel drops all of it at once. What remains on
# the host is a veth pair to reach the node and a route to its pods through it (both gone with
# the namespace), cgroups under
# /$node_cgroup in each v1 hierarchy, the empty mount points, and a lock file; `down` removes
# them and `testbed_test.cc` (RealNodeDown) asserts that nothing is left.
#
# Only one real node can run per host (kube-proxy's and the kubelet's fixed names), so the
# addresses below are fixed, and the node-ns process holds a lock on $node_lock for its life.

node_name=werf-testbed-node
node_host_ip=10.250.250.1   # host end of the veth pair; the API server listens here for the node and its pods
node_ip=10.250.250.2        # the node's end: kubelet (10250), CoreDNS (53)
node_pod_cidr=10.245.77.0/24  # outside kwok's 10.244.0.0/16
node_bridge=wtbcni0
node_veth_host=wtbnode-h
node_veth_node=wtbnode0
node_cgroup=werf-testbed-node
node_dns_ip=10.96.0.10
node_lock=/run/lock/werf-testbed-node.lock
node_label=testbed.werf.io/real-node  # label (value "true") and NoSchedule taint of the real node
# Host paths the kubelet, containerd and CNI use regardless of configuration; inside the
# node's mount namespace each is a bind mount of $state/node/host/<path>.
node_host_paths=(/var/lib/kubelet /var/log/pods /var/log/containers /run/containerd /var/lib/cni /run/netns)
# The kubelet sets these (container_manager_linux.go setupKernelTunables) unless they hold
# these values; none is namespaced.
node_sysctls=(vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1
              kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000)
node_components=(node-ns containerd kubelet kube-proxy coredns)

node_enabled() { [ "${REAL_NODE:-0}" = 1 ]; }

# node_unavailable: why this host cannot run the real node, or nothing when it can.
node_unavailable() {
  [ "$(id -u)" -eq 0 ] || { echo "not root"; return; }
  local tool
  for tool in containerd containerd-shim-runc-v2 runc ctr iptables unshare nsenter ip conntrack; do
    command -v "$tool" >/dev/null || { echo "$tool not found (scripts/install-deps.sh installs it)"; return; }
  done
  [ -x /usr/lib/cni/bridge ] || { echo "/usr/lib/cni/bridge not found (containernetworking-plugins)"; return; }
  # containerd's sockets live under the state directory; a unix socket path has 107 bytes at most.
  local socket=$state/node/containerd/containerd.sock.ttrpc
  ((${#socket} <= 107)) || { echo "the state directory's path is too long for containerd's socket ($socket)"; return; }
  grep -q ' /sys/fs/cgroup/memory cgroup ' /proc/mounts || { echo "no cgroup v1 memory hierarchy"; return; }
  if [ -e "$node_lock" ] && [ "$(cat "$node_lock" 2>/dev/null)" != "$state" ] && ! flock -n "$node_lock" true 2>/dev/null; then
    echo "the real node of this host is in use by the test bed in $(cat "$node_lock" 2>/dev/null || echo '?')"
    return
  fi
}

ns_run() { # ns_run COMMAND...: runs COMMAND inside the node's mount and network namespaces
  local holder
  holder=$(pid_of node-ns) || return 1
  nsenter -t "$holder" -m -n -- "$@"
}

# --- state ----------------------------------------------------------------------------

create_node_state() {
  local dir=$state/node pki=$state/pki
  mkdir -p "$dir"/{containerd,kubelet,cni/net.d,cni/ipam,sysctl,host}
  (
    cd "$pki"
    exec 2>>"$state/logs/pki.log"
    client() { # client NAME SUBJECT: a client certificate signed by the test CA
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
      printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
        -extfile "$1.ext" -out "$1.crt"
      rm -f "$1.csr" "$1.ext"
      chmod 600 "$1.key"
    }
    # The node authorizer and NodeRestriction know a kubelet by this name and group.
    client kubelet "/O=system:nodes/CN=system:node:$node_name"
    # Bound to system:node-proxier by the API server's default ClusterRoleBindings.
    client kube-proxy "/CN=system:kube-proxy"
    client coredns "/CN=system:werf-testbed:coredns"
    # The API server's identity towards the kubelet (logs, exec, port-forward).
    client apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  ) || { log_tail pki; die "node certificate generation failed"; }
  local who
  for who in kubelet kube-proxy coredns; do node_kubeconfig "$who" >"$dir/$who.kubeconfig"; done
  chmod 600 "$dir"/*.kubeconfig

  cat >"$dir/containerd/config.toml" <<EOF
# containerd 1.6 for the test bed's real node: everything under the state directory.
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
# Plugins that would look for devices, other file systems or exporters of the host.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$dir/containerd/containerd.sock"
[ttrpc]
  address = "$dir/containerd/containerd.sock.ttrpc"
[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_ref"
  # root here lacks CAP_SYS_RESOURCE: without this runc fails with
  # "nsexec: failed to update /proc/self/oom_score_adj: Permission denied".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$dir/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
    max_conf_num = 1
EOF

  cat >"$dir/cni/net.d/10-werf-testbed.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "werf-testbed-pods",
  "plugins": [
    {"type": "bridge", "bridge": "$node_bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$dir/cni/ipam",
              "ranges": [[{"subnet": "$node_pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF

  # Pods get the cluster DNS and no search domains or servers of the host.
  echo "# werf-testbed: no upstream resolvers for pods" >"$dir/resolv.conf"
  cat >"$dir/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
containerRuntimeEndpoint: unix://$dir/containerd/containerd.sock
imageServiceEndpoint: unix://$dir/containerd/containerd.sock
# Only cgroup v1 is usable here; the root is created beforehand in every hierarchy.
cgroupDriver: cgroupfs
cgroupRoot: /$node_cgroup
failCgroupV1: false
failSwapOn: false
# Fail rather than change kernel settings of the host (the namespace masks them, see node.sh).
protectKernelDefaults: true
clusterDNS: [$node_dns_ip]
clusterDomain: cluster.local
resolvConf: $dir/resolv.conf
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
registerWithTaints:
- {key: $node_label, value: "true", effect: NoSchedule}
syncFrequency: 10s
fileCheckFrequency: 5s
nodeStatusUpdateFrequency: 5s
serializeImagePulls: false
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "5%"
  imagefs.available: "5%"
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOF

  cat >"$dir/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $node_name
clusterCIDR: $node_pod_cidr
bindAddress: $node_ip
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clientConnection:
  kubeconfig: $dir/kube-proxy.kubeconfig
# Leave conntrack's table size and timeouts alone: not all of them are per namespace.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF

  cat >"$dir/Corefile" <<EOF
.:53 {
    bind $node_ip
    errors
    health 127.0.0.1:10254
    ready 127.0.0.1:10253
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $dir/coredns.kubeconfig werf-testbed
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
}
EOF
}

node_kubeconfig() { # node_kubeconfig NAME: a kubeconfig with pki/NAME.crt, to the API server as the node sees it
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: werf-testbed
  cluster:
    server: https://$node_host_ip:$APISERVER_PORT
    certificate-authority: $state/pki/ca.crt
users:
- name: $1
  user:
    client-certificate: $state/pki/$1.crt
    client-key: $state/pki/$1.key
contexts:
- name: werf-testbed
  context: {cluster: werf-testbed, user: $1}
current-context: werf-testbed
EOF
}

# --- the namespaces -------------------------------------------------------------------

cgroup_v1_dirs() { awk '$3 == "cgroup" {print $2}' /proc/mounts; }
# runc also makes the containers' cgroups in the cgroup v2 hierarchy (hybrid mode).
cgroup_all_dirs() { awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/mounts; }

# Host side preparation before the namespace holder starts: the lock, empty mount points,
# the cgroup root, the sysctl masks.
prepare_node_host() {
  local p created=$state/node/created-host-dirs d
  : >>"$created"
  for p in "${node_host_paths[@]}"; do
    mkdir -p "$state/node/host$p"
    if [ ! -e "$p" ]; then
      # Record every directory mkdir -p makes, outermost first, so down removes just those.
      d=$p
      local missing=()
      while [ ! -e "$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
      mkdir -p "$p"
      printf '%s\n' "${missing[@]}" >>"$created"
    fi
  done
  for d in $(cgroup_v1_dirs); do
    mkdir -p "$d/$node_cgroup"
    # A new cpuset starts with no CPUs and no memory nodes; the kubelet expects its root usable.
    if [ -f "$d/cpuset.cpus" ]; then
      cat "$d/cpuset.cpus" >"$d/$node_cgroup/cpuset.cpus"
      cat "$d/cpuset.mems" >"$d/$node_cgroup/cpuset.mems"
    fi
  done
  local kv name want
  rm -f "$state/node/sysctl"/*
  for kv in "${node_sysctls[@]}"; do
    name=${kv%=*} want=${kv#*=}
    if [ "$(cat "/proc/sys/$name")" != "$want" ]; then
      echo "$want" >"$state/node/sysctl/${name//\//.}"
    fi
  done
}

# Runs as the node-ns component, already inside the new namespaces (`unshare --mount --net`):
# mounts, loopback, forwarding; then sleeps, keeping the namespaces and the lock.
node_ns_main() {
  set -euo pipefail
  local p f
  for p in "${node_host_paths[@]}"; do mount --bind "$state/node/host$p" "$p"; done
  for f in "$state/node/sysctl"/*; do
    [ -e "$f" ] || continue
    p=/proc/sys/$(basename "$f" | tr . /)
    mount --bind "$f" "$p"
    mount -o remount,bind,ro "$p"
  done
  ip link set lo up
  sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  touch "$state/node/ns-ready"
  exec sleep infinity
}

start_node_ns() {
  # A holder that died leaves processes in its namespaces (a lone containerd, shims, pods):
  # the node starts afresh rather than mixing two sets of namespaces.
  if [ -f "$state/node/ns.env" ]; then
    log "the real node's namespaces are gone; stopping what is left of the node and starting it afresh"
    stop_node_leftovers
  fi
  rm -f "$state/node/ns-ready"
  prepare_node_host
  exec 8>>"$node_lock"
  flock -n 8 || die "the real node of this host is in use by the test bed in $(cat "$node_lock")"
  echo "$state" >"$node_lock"
  start_process node-ns unshare --mount --net --propagation slave -- \
    bash -c 'source "$0"; state=$1; node_ns_main' "$here/node.sh" "$state"
  exec 8>&-
  local holder
  holder=$(pid_of node-ns)
  wait_for node-ns "the node's namespaces" test -f "$state/node/ns-ready"
  # The namespaces' identity, so down finds every process of the node even without pid files.
  echo "NODE_NETNS=$(stat -L -c %i "/proc/$holder/ns/net") NODE_MNTNS=$(stat -L -c %i "/proc/$holder/ns/mnt")" \
    >"$state/node/ns.env"
  ip link del "$node_veth_host" 2>/dev/null || true
  ip link add "$node_veth_host" type veth peer name "$node_veth_node" netns "$holder"
  ip addr add "$node_host_ip/30" dev "$node_veth_host"
  ip link set "$node_veth_host" up
  nsenter -t "$holder" -n sh -c "ip addr add $node_ip/30 dev $node_veth_node && ip link set $node_veth_node up &&
    ip route add default via $node_host_ip"
  # The host (the API server among it) reaches pods through the node, as a control plane reaches
  # pod IPs in a real cluster: `kubectl get --raw .../pods/NAME:PORT/proxy/...` and the API
  # server's service proxy then work. The route goes with the veth pair.
  ip route replace "$node_pod_cidr" via "$node_ip" dev "$node_veth_host"
}

# Every process of the node: those in its namespaces (daemons, containerd's shims) and those
# in its cgroups (containers, which have namespaces of their own).
node_pids() {
  [ -f "$state/node/ns.env" ] || return 0
  local NODE_NETNS NODE_MNTNS d holder trusted=0
  # shellcheck disable=SC1091
  source "$state/node/ns.env"
  # While the holder lives, its namespaces are surely the node's; once it is gone their
  # inode numbers could be a new namespace's, so a process must also name the state directory
  # (every daemon and shim of the node does) to count as the node's.
  if holder=$(pid_of node-ns) && [ "$(stat -L -c %i "/proc/$holder/ns/net" 2>/dev/null)" = "$NODE_NETNS" ]; then
    trusted=1
  fi
  {
    for d in /proc/[0-9]*; do
      [ "$(stat -L -c %i "$d/ns/net" 2>/dev/null)" = "$NODE_NETNS" ] ||
        [ "$(stat -L -c %i "$d/ns/mnt" 2>/dev/null)" = "$NODE_MNTNS" ] || continue
      ((trusted)) || [[ "$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)" == *"$state"* ]] || continue
      echo "${d#/proc/}"
    done
    for d in $(cgroup_all_dirs); do
      [ -d "$d/$node_cgroup" ] && find "$d/$node_cgroup" -name cgroup.procs -exec cat {} +
    done
  } 2>/dev/null | sort -un | grep -vx "$$" || true
}

# Kills every process of the node (SIGKILL: the test bed's pods need no grace), then removes
# its cgroups, mount points and lock. The namespaces, and with them the mounts, the bridge,
# the veth pairs and the iptables chains, go with the last process.
stop_node_leftovers() {
  local i pids
  for i in $(seq 50); do
    pids=$(node_pids)
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.2
  done
  [ -z "$(node_pids)" ] || log "WARNING: processes of the real node survived SIGKILL: $(node_pids | tr '\n' ' ')"
  local d
  for d in $(cgroup_all_dirs); do
    [ -d "$d/$node_cgroup" ] || continue
    # Children first; a cgroup whose last task just died may need a moment.
    for i in $(seq 20); do
      find "$d/$node_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$d/$node_cgroup" ] || break
      sleep 0.1
    done
    [ ! -d "$d/$node_cgroup" ] || log "WARNING: could not remove cgroup $d/$node_cgroup"
  done
  ip link del "$node_veth_host" 2>/dev/null || true
  if [ -f "$state/node/created-host-dirs" ]; then
    tac "$state/node/created-host-dirs" | while read -r d; do rmdir "$d" 2>/dev/null || true; done
    : >"$state/node/created-host-dirs"
  fi
  if [ -f "$node_lock" ] && [ "$(cat "$node_lock" 2>/dev/null)" = "$state" ]; then
    rm -f "$node_lock"
  fi
  rm -f "$state/node/ns.env" "$state/node/ns-ready"
}

# --- components -----------------------------------------------------------------------

start_node_component() {
  local dir=$state/node
  case $1 in
    node-ns) start_node_ns ;;
    containerd)
      start_process containerd nsenter -t "$(pid_of node-ns)" -m -n -- containerd --config "$dir/containerd/config.toml" ;;
    kubelet)
      start_process kubelet nsenter -t "$(pid_of node-ns)" -m -n -- "$(tool_path kubelet)" \
        --config "$dir/kubelet/config.yaml" --kubeconfig "$dir/kubelet.kubeconfig" \
        --hostname-override "$node_name" --node-ip "$node_ip" --node-labels "$node_label=true" \
        --pod-infra-container-image "$pause_ref" --volume-plugin-dir /var/lib/kubelet/volume-plugins --v 1 ;;
    kube-proxy)
      start_process kube-proxy nsenter -t "$(pid_of node-ns)" -m -n -- "$(tool_path kube-proxy)" \
        --config "$dir/kube-proxy.yaml" --v 1 ;;
    coredns)
      start_process coredns nsenter -t "$(pid_of node-ns)" -m -n -- "$(tool_path coredns)" -conf "$dir/Corefile" ;;
  esac
}

# After containerd answers: the pause image and the test image, which nothing could pull.
node_import_images() {
  local ctr=(ctr --address "$state/node/containerd/containerd.sock" -n k8s.io) tar ref
  for tar in "$pause_tar=$pause_ref" "$testimage_tar=$testimage_ref"; do
    ref=${tar#*=} tar=${tar%%=*}
    # (No `| grep -q`: with pipefail, grep leaving early can fail the pipeline.)
    [[ $'\n'"$("${ctr[@]}" images ls -q)"$'\n' == *$'\n'"$ref"$'\n'* ]] && continue
    "${ctr[@]}" images import "$tar" >>"$state/logs/containerd.log" 2>&1 ||
      die "could not import $tar into the node's containerd (see logs/containerd.log)"
  done
}

node_probe() {
  local code
  case $1 in
    node-ns) [ -f "$state/node/ns-ready" ] && [[ "$(ns_run ip -o addr show "$node_veth_node")" == *" $node_ip/"* ]] ;;
    containerd) ctr --address "$state/node/containerd/containerd.sock" version >/dev/null 2>&1 ;;
    kubelet) [ "$(ns_run curl -s --max-time 2 http://127.0.0.1:10248/healthz 2>/dev/null)" = ok ] ;;
    kube-proxy) code=$(ns_run curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:10256/livez 2>/dev/null)
                [ "$code" = 200 ] ;;
    coredns) [ "$(ns_run curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:10253/ready 2>/dev/null)" = 200 ] ;;
  esac
}

node_port_of() {
  case $1 in
    node-ns) echo - ;; containerd) echo sock ;; kubelet) echo 10250 ;; kube-proxy) echo 10256 ;; coredns) echo 53 ;;
  esac
}

# API objects of the node's cluster networking. The API server runs with
# --endpoint-reconciler-type=none, so the `kubernetes` Service's endpoints are written here:
# the address pods reach the API server at. The cluster DNS runs as a process of the node
# (not a pod: no image to build, ready in a second) behind the usual kube-dns Service.
apply_node_objects() {
  kubectl_ apply -f - >/dev/null <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-werf-testbed
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes, endpointslice.kubernetes.io/managed-by: werf-testbed}
addressType: IPv4
endpoints:
- addresses: [$node_host_ip]
  conditions: {ready: true}
ports:
- {name: https, port: $APISERVER_PORT, protocol: TCP}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: $node_dns_ip
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-werf-testbed
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: werf-testbed}
addressType: IPv4
endpoints:
- addresses: [$node_ip]
  conditions: {ready: true}
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: werf-testbed:coredns
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: werf-testbed:coredns
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: werf-testbed:coredns}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:werf-testbed:coredns"}
EOF
}

node_ready() {
  [ "$(kubectl_ get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
