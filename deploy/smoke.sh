#!/bin/sh
# Smoke test of deploy/compose.yaml: builds the image, starts PostgreSQL,
# three nodes and the balancer under a project of its own, and checks
# through the balancer that
#   - the API answers and the three nodes share one database (a collection
#     made through one node is used through the others),
#   - requests are spread over all three nodes (no sticky sessions),
#   - nodes see the client's address, not the balancer's (trusted proxy),
#   - WebSocket upgrades reach the nodes (GET /api/realtime answers 101),
#   - a node stopped with SIGTERM leaves the others answering.
# Everything it started is removed at the end, volumes included.
#
# Skips (exit 0, with the reason) when Docker, its daemon or Compose is
# missing. Needs curl, and the network to pull the base images.
set -eu

cd "$(dirname "$0")"
project=lumbung-smoke-$$
port=${LUMBUNG_SMOKE_PORT:-18090}
base=http://127.0.0.1:$port

skip() { echo "deploy/smoke.sh: skipped: $*"; exit 0; }
command -v docker >/dev/null 2>&1 || skip "docker is not installed"
docker info >/dev/null 2>&1 || skip "the Docker daemon is not reachable (docker info failed)"
docker compose version >/dev/null 2>&1 || skip "Docker Compose v2 (docker compose) is not installed"
command -v curl >/dev/null 2>&1 || { echo "deploy/smoke.sh: curl is needed" >&2; exit 1; }

compose() { LUMBUNG_PORT=$port docker compose -p "$project" -f compose.yaml "$@"; }
fail() {
	echo "deploy/smoke.sh: FAIL: $*" >&2
	compose ps >&2 || true
	compose logs --no-color --tail 50 >&2 || true
	exit 1
}
trap 'compose down -v --remove-orphans >/dev/null 2>&1 || true' EXIT INT TERM

echo "building and starting $project"
compose up -d --build --wait --wait-timeout 300 || fail "the services did not become healthy"

# The balancer answers once one node is in rotation; wait for all three.
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/health")" = 200 ]; do
	i=$((i + 1)); [ $i -lt 120 ] || fail "no 200 from $base/api/health"
	sleep 0.5
done
sleep 3 # two rounds of the balancer's health checks

email=smoke@example.com
password=smoke-password-1234
compose exec -T lumbung-1 lumbung superuser upsert "$email" "$password" >/dev/null || fail "superuser upsert"
token=$(curl -sf -H 'Content-Type: application/json' \
	-d "{\"identity\":\"$email\",\"password\":\"$password\"}" \
	"$base/api/collections/_superusers/auth-with-password" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "no token from auth-with-password"
auth="Authorization: $token"

code=$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" -H 'Content-Type: application/json' \
	-d '{"name":"smoke","type":"base","listRule":"","viewRule":"","createRule":"","fields":[{"name":"title","type":"text"}]}' \
	"$base/api/collections")
[ "$code" = 200 ] || fail "creating the collection: HTTP $code"

# Round robin: 30 creates land on every node; each must see the collection.
n=0
while [ $n -lt 30 ]; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H 'X-Forwarded-For: 203.0.113.7' -d "{\"title\":\"t$n\"}" "$base/api/collections/smoke/records")
	[ "$code" = 200 ] || fail "create $n: HTTP $code"
	n=$((n + 1))
done
total=$(curl -sf "$base/api/collections/smoke/records?perPage=1" | sed -n 's/.*"totalItems":\([0-9]*\).*/\1/p')
[ "$total" = 30 ] || fail "expected 30 records, the list says ${total:-nothing}"

for node in lumbung-1 lumbung-2 lumbung-3; do
	logs=$(compose logs --no-color "$node")
	echo "$logs" | grep -q '/api/collections/smoke/records' || fail "$node served no request: not every node is in rotation"
	# The balancer is trusted, so the node logs the address the balancer
	# saw (the client), never the balancer's own.
	if echo "$logs" | grep '/api/collections/smoke/records' | grep -q '"ip":"172.28.90.10"'; then
		fail "$node logged the balancer's address as the client's"
	fi
	# A client's own X-Forwarded-For is not believed.
	if echo "$logs" | grep -q '"ip":"203.0.113.7"'; then
		fail "$node believed a client's X-Forwarded-For"
	fi
done

# A WebSocket upgrade through the balancer.
ws=$(curl -s -i -N --max-time 3 --http1.1 \
	-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
	-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$base/api/realtime" || true)
echo "$ws" | head -1 | grep -q ' 101' || fail "GET /api/realtime with Upgrade: $(echo "$ws" | head -1)"
echo "$ws" | grep -q 'connected' || fail "no connected message over the WebSocket"

# SIGTERM one node: the others keep answering through the balancer.
compose stop -t 40 lumbung-2 >/dev/null || fail "stopping lumbung-2"
n=0
while [ $n -lt 20 ]; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/collections/smoke/records?perPage=1")
	[ "$code" = 200 ] || fail "with lumbung-2 stopped: HTTP $code"
	n=$((n + 1))
done
compose start lumbung-2 >/dev/null || fail "starting lumbung-2"

echo "deploy/smoke.sh: ok: 3 nodes behind the balancer, 30 records, WebSocket upgrade, a node stopped without errors"
