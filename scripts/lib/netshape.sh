# NIC shaping for lioncub's emulated hosts (see docs/perf.md and scripts/cluster.sh). Sourced by
# scripts/cluster.sh. This kernel has tbf, htb, pfifo and u32, not netem or fq.
#
# lioncub_shape NS DEV RATE [CAP]
#   RATE alone: a tbf at the line rate.
#   With CAP: an htb root class at RATE, 16 child classes with ceil = CAP, and a u32 hash on the
#   low 4 bits of the TCP source port choosing the class: like a cloud NIC that caps each flow.
lioncub_shape() {
  local ns=$1 dev=$2 rate=$3 cap=${4:-}
  local tcn=(ip netns exec "$ns" tc)
  if [[ -z $cap ]]; then
    "${tcn[@]}" qdisc add dev "$dev" root tbf rate "$rate" burst 1mb latency 20ms
    return
  fi
  "${tcn[@]}" qdisc add dev "$dev" root handle 1: htb default 1f
  "${tcn[@]}" class add dev "$dev" parent 1: classid 1:1 htb rate "$rate" ceil "$rate" \
    burst 1mb cburst 1mb quantum 60000
  local i
  for i in $(seq 0 15); do
    "${tcn[@]}" class add dev "$dev" parent 1:1 classid "1:$(printf %x $((0x20 + i)))" \
      htb rate 100mbit ceil "$cap" burst 256kb cburst 256kb quantum 60000
  done
  # Non-TCP and unmatched traffic gets a class of its own at the line rate.
  "${tcn[@]}" class add dev "$dev" parent 1:1 classid 1:1f htb rate 100mbit ceil "$rate" quantum 60000
  "${tcn[@]}" filter add dev "$dev" parent 1: prio 1 handle 2: protocol ip u32 divisor 16
  # The word at IP offset 20 is TCP source port << 16 | destination port (no IP options).
  "${tcn[@]}" filter add dev "$dev" parent 1: prio 1 protocol ip u32 ht 800:: \
    match ip protocol 6 0xff hashkey mask 0x000f0000 at 20 link 2:
  for i in $(seq 0 15); do
    "${tcn[@]}" filter add dev "$dev" parent 1: prio 1 protocol ip u32 \
      ht "2:$(printf %x "$i"):" match ip protocol 6 0xff flowid "1:$(printf %x $((0x20 + i)))"
  done
}

# Whether this kernel can run netem (delay, loss): tries it on a scratch namespace.
lioncub_have_netem() {
  local ns=lcnetemprobe$$
  ip netns add "$ns" 2>/dev/null || return 1
  local ok=1
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" tc qdisc add dev lo root netem delay 1ms 2>/dev/null && ok=0
  ip netns del "$ns"
  return $ok
}
