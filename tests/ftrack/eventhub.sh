#!/bin/sh
# The event-hub client over real sockets. Against the ftrack double,
# tests/ftrack/hub-client publishes, subscribes and replies between two C
# clients and the double's web UI, runs with heartbeats shortened to
# 200 ms and then stopped, survives the double dropping every socket
# (three ways), and meets a wrong key and an unreachable server; then the
# same exchange again through an HTTP proxy named by http_proxy. Against a
# scripted socket.io server of our own that never beats: the client's own
# heartbeats, its first subscription, what it ignores, an error packet and
# a refused handshake. Against a TLS server with a certificate of its
# own: refused without its CA, and with it a 200 kB event and a reply.
# No API key may appear in anything printed.
. "${srcdir:-.}/tests/lib.sh"
. "${srcdir:-.}/tests/ftrack-double/lib.sh"

CLIENT=${FTRACK_HUB_CLIENT:-tests/ftrack/hub-client}
KEY=ferry-double-api-key
helper=

double_need
trap 'double_stop; [ -z "$helper" ] || kill "$helper" 2>/dev/null; rm -rf "$TMP"' EXIT
# Loopback must not go through a proxy the caller may have set.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
no_proxy=127.0.0.1,localhost
export no_proxy

# client SCENARIO: runs hub-client, keeping its stderr for the checks.
client() {
	run 0 "$CLIENT" "$1"
	cat "$TMP/err" >>"$TMP/all-err"
	tail -n 1 "$TMP/err" | sed "s/^/hub-client $1: /" >&2
}

# start_helper NAME SCRIPT: a node server of our own; its stdout goes to
# $TMP/NAME.out and its port to PORT.
start_helper() {
	node -e "$2" >"$TMP/$1.out" &
	helper=$!
	i=0
	while ! grep -q '^listening' "$TMP/$1.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { fail "$1 did not start"; return 1; }
		sleep 0.1
	done
	PORT=$(sed -n 's/^listening on .*://p' "$TMP/$1.out")
}

stop_helper() {
	kill "$helper" 2>/dev/null
	wait "$helper" 2>/dev/null || true
	helper=
}

# has FILE TEXT: FILE holds the line TEXT.
has() {
	checks=$((checks + 1))
	grep -qxF -- "$2" "$1" || {
		fail "$1 lacks \"$2\":"
		sed 's/^/  | /' "$1" >&2
	}
}

double_start
FTRACK_SERVER=$DOUBLE_URL
FTRACK_API_USER=ferry
FTRACK_API_KEY=$KEY
export FTRACK_SERVER FTRACK_API_USER FTRACK_API_KEY
client double

# The same exchange through a forwarding and CONNECT proxy.
start_helper proxy '
const http = require("http"), net = require("net");
const log = (line) => process.stdout.write(line + "\n");
const proxy = http.createServer((req, res) => {
	const u = new URL(req.url);
	if (u.pathname.startsWith("/socket.io/"))
		log(`${req.method} ${u.pathname}`);
	const up = http.request({host: u.hostname, port: u.port,
	    path: u.pathname + u.search, method: req.method,
	    headers: req.headers}, (r) => {
		res.writeHead(r.statusCode, r.headers);
		r.pipe(res);
	});
	up.on("error", () => res.destroy());
	req.pipe(up);
});
proxy.on("connect", (req, client, head) => {
	log(`CONNECT ${req.url}`);
	const [host, port] = req.url.split(":");
	const s = net.connect(Number(port), host, () => {
		client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
		s.write(head);
		s.pipe(client);
		client.pipe(s);
	});
	s.on("error", () => client.destroy());
	client.on("error", () => s.destroy());
});
proxy.listen(0, "127.0.0.1", () =>
    log("listening on 127.0.0.1:" + proxy.address().port));
'
http_proxy=http://127.0.0.1:$PORT
export http_proxy
unset no_proxy
client proxy
unset http_proxy
no_proxy=127.0.0.1,localhost
export no_proxy
stop_helper
has "$TMP/proxy.out" "GET /socket.io/1/"
has "$TMP/proxy.out" "CONNECT ${DOUBLE_URL#http://}"
double_stop

# A socket.io server that never beats (its heartbeat timeout is 2 s), then
# sends what the client must ignore, an error packet, and refuses the next
# handshake.
start_helper scripted '
const http = require("http");
const {WebSocketServer} = require("ws");
const log = (line) => process.stdout.write(line + "\n");
const wss = new WebSocketServer({noServer: true});
let handshakes = 0, beats = 0;
const server = http.createServer((req, res) => {
	if (++handshakes > 1) {
		res.writeHead(500, {"Content-Type": "text/plain"});
		res.end("no more\n");
		return;
	}
	res.writeHead(200, {"Content-Type": "text/plain"});
	res.end("scriptedsid:2:60:websocket");
});
server.on("upgrade", (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
	ws.send("1::");
	ws.on("message", (data) => {
		const text = data.toString();
		if (text === "2::")
			beats++;
		const m = /^5:::(.*)$/.exec(text);
		const e = m && JSON.parse(m[1]).args[0];
		if (e && e.topic === "ftrack.meta.subscribe")
			log(`subscribe ${e.data.subscription} by ` +
			    (e.data.subscriber.id === e.source.id ? "hub" :
			    "subscriber"));
	});
	setTimeout(() => {
		log(`heartbeats ${beats >= 3 ? "at least 3" : beats}`);
		ws.send("not socket.io");
		ws.send(Buffer.from([1, 2, 3]));
		ws.send("5:::{\"name\":\"other\",\"args\":[]}");
		ws.send("5:::{\"name\":\"ftrack.event\",\"args\":[{\"topic\":" +
		    "\"ferry.test.x\",\"target\":\"((\"}]}");
		ws.send("7:::2+0");
	}, 3500);
}));
server.listen(0, "127.0.0.1", () =>
    log("listening on 127.0.0.1:" + server.address().port));
'
FTRACK_SERVER=http://127.0.0.1:$PORT
client scripted
stop_helper
has "$TMP/scripted.out" "heartbeats at least 3"
has "$TMP/scripted.out" "subscribe topic=ftrack.meta.reply by hub"
has "$TMP/scripted.out" "subscribe topic=ferry.test.* by subscriber"
# The reply subscription comes first.
checks=$((checks + 1))
sed -n 2p "$TMP/scripted.out" | grep -q "ftrack.meta.reply" ||
    fail "the first subscription is not the reply topic"

# Over TLS, with a certificate of our own for 127.0.0.1.
need openssl
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/tls.key" \
    -out "$TMP/tls.crt" 2>/dev/null
TLS_DIR=$TMP
export TLS_DIR
start_helper tls '
const fs = require("fs"), https = require("https");
const {WebSocketServer} = require("ws");
const log = (line) => process.stdout.write(line + "\n");
const dir = process.env.TLS_DIR;
const wss = new WebSocketServer({noServer: true});
const server = https.createServer({key: fs.readFileSync(dir + "/tls.key"),
    cert: fs.readFileSync(dir + "/tls.crt")}, (req, res) => {
	res.writeHead(200, {"Content-Type": "text/plain"});
	res.end("tlssid:60:60:websocket");
});
server.on("upgrade", (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
	ws.on("message", (data) => {
		const m = /^5:::(.*)$/.exec(data.toString());
		const e = m && JSON.parse(m[1]).args[0];
		if (e && e.topic === "ftrack.meta.subscribe" &&
		    e.data.subscription === "topic=ferry.test.tls")
			ws.send("5:::" + JSON.stringify({name: "ftrack.event",
			    args: [{id: "tls-1", topic: "ferry.test.tls",
			    data: {blob: "x".repeat(200000)}, target: "",
			    source: {id: "tls-server"}}]}));
		if (e && e.topic === "ftrack.meta.reply")
			log(`reply to ${e.inReplyToEvent} for ${e.target}: ` +
			    JSON.stringify(e.data));
	});
}));
server.listen(0, "127.0.0.1", () =>
    log("listening on 127.0.0.1:" + server.address().port));
'
FTRACK_SERVER=https://127.0.0.1:$PORT
FTRACK_CA_FILE=$TMP/tls.crt
export FTRACK_CA_FILE
client tls
stop_helper
has "$TMP/tls.out" 'reply to tls-1 for id=tls-server: {"size":200000}'

checks=$((checks + 1))
if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" \
    "$TMP/all-err"; then
	fail "a sanitizer reported:"
	grep -A12 "ERROR: \|runtime error" "$TMP/all-err" | head -40 >&2
fi
checks=$((checks + 1))
if grep -F -e "$KEY" -e wrong-key-1234 "$TMP/all-err" "$TMP/proxy.out" \
    >/dev/null; then
	fail "an API key was printed:"
	grep -F -e "$KEY" -e wrong-key-1234 "$TMP/all-err" | sed 's/^/  | /' >&2
fi
finish
