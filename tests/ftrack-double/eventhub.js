'use strict';
/*
 * ftrack's event hub (§2): socket.io 0.9 over WebSocket only. A GET
 * handshake issues a session id; the WebSocket upgrade for that id opens
 * a connection; the server sends heartbeats; clients subscribe by
 * publishing ftrack.meta.subscribe; every other event goes, once, to each
 * connection with a subscriber whose expression matches it and whose
 * metadata matches the event's target (§2.7).
 */
const crypto = require('crypto');
const {WebSocketServer} = require('ws');
const {compile} = require('./expression.js');

const PACKET = /^([0-9]):([0-9]*\+?):([^:]*):?([\s\S]*)$/;
const SESSION_TTL_MS = 60000;	/* a handshake not upgraded in time */
const EVENT_LOG_SIZE = 2000;

class EventHub {
	constructor({log, heartbeatMs = 5000, heartbeatTimeoutMs = 60000}) {
		this.log = log;
		this.heartbeatMs = heartbeatMs;
		this.heartbeatTimeoutMs = heartbeatTimeoutMs;
		this.sessions = new Map();	/* sid -> {user, expires} */
		this.connections = new Set();	/* sockets and local clients */
		this.eventLog = [];
		this.targets = new Map();	/* target text -> matcher */
		this.wss = new WebSocketServer({noServer: true,
		    maxPayload: 16 << 20});
	}

	/* GET /socket.io/1/: "<sid>:<heartbeat timeout>:<close timeout>:
	 * websocket" (§2.2). `user` is already authenticated. */
	handshake(user) {
		const sid = crypto.randomBytes(16).toString('hex');
		const now = Date.now();
		for (const [old, s] of this.sessions) {
			if (s.expires < now)
				this.sessions.delete(old);
		}
		this.sessions.set(sid, {user, expires: now + SESSION_TTL_MS});
		const timeout = Math.ceil(this.heartbeatTimeoutMs / 1000);
		return `${sid}:${timeout}:60:websocket`;
	}

	/* The upgrade of /socket.io/1/websocket/<sid>: only for a sid issued
	 * by handshake(), once (§2.3). */
	upgrade(req, socket, head) {
		const url = new URL(req.url, 'http://double');
		const m = /^\/socket\.io\/1\/websocket\/([^/]+)$/.exec(
		    url.pathname);
		const session = m ? this.sessions.get(m[1]) : null;
		if (!session || session.expires < Date.now()) {
			this.log(`event hub: refused upgrade of ${url.pathname}` +
			    ': unknown, used or expired session id');
			socket.end('HTTP/1.1 403 Forbidden\r\n' +
			    'Content-Type: text/plain\r\nConnection: close\r\n' +
			    '\r\nunknown, used or expired session id\n');
			return;
		}
		this.sessions.delete(m[1]);
		this.wss.handleUpgrade(req, socket, head, (ws) =>
		    this.open(ws, m[1], session.user));
	}

	open(ws, sid, user) {
		const conn = {
			id: sid, user, ws, subscribers: new Map(),
			lastSeen: Date.now(), timer: null,
			deliver: (event) => send(ws, '5:::' + JSON.stringify(
			    {name: 'ftrack.event', args: [event]})),
		};
		this.connections.add(conn);
		this.log(`event hub: ${user.username} connected (${sid})`);
		ws.on('message', (data, isBinary) => {
			conn.lastSeen = Date.now();
			if (isBinary)
				this.log(`event hub: ${sid}: binary frame ignored`);
			else
				this.packet(conn, data.toString('utf8'));
		});
		ws.on('close', () => {
			clearInterval(conn.timer);
			this.connections.delete(conn);
			this.log(`event hub: ${sid} closed`);
		});
		ws.on('error', (e) => this.log(`event hub: ${sid}: ${e.message}`));
		send(ws, '1::');
		this.startHeartbeat(conn);
	}

	/* Heartbeats go out every heartbeatMs; a client silent for longer
	 * than the heartbeat timeout is dropped, as socket.io 0.9 does. */
	startHeartbeat(conn) {
		clearInterval(conn.timer);
		conn.timer = setInterval(() => {
			if (Date.now() - conn.lastSeen > this.heartbeatTimeoutMs) {
				this.log(`event hub: ${conn.id}: no answer to ` +
				    'heartbeats, dropped');
				conn.ws.terminate();
				return;
			}
			send(conn.ws, '2::');
		}, this.heartbeatMs);
	}

	setHeartbeat(intervalMs, timeoutMs) {
		this.heartbeatMs = intervalMs;
		if (timeoutMs)
			this.heartbeatTimeoutMs = timeoutMs;
		for (const conn of this.connections) {
			if (conn.ws)
				this.startHeartbeat(conn);
		}
	}

	packet(conn, text) {
		const m = PACKET.exec(text);
		if (!m) {
			this.log(`event hub: ${conn.id}: bad packet ` +
			    JSON.stringify(text.slice(0, 80)));
			send(conn.ws, '7:::malformed packet');
			return;
		}
		const [, type, ackId, , data] = m;
		if (type === '0') {
			conn.ws.close();
		} else if (type === '5') {
			const result = this.eventPacket(conn, data);
			/* "5:<n>+::" asks for an ack (§2.4). */
			if (ackId.endsWith('+'))
				send(conn.ws, `6:::${ackId}` +
				    JSON.stringify([result]));
		} else if (type !== '2' && type !== '3') {
			this.log(`event hub: ${conn.id}: packet type ${type} ` +
			    'ignored');
		}
	}

	eventPacket(conn, data) {
		let event;
		try {
			const message = JSON.parse(data);
			if (message.name !== 'ftrack.event')
				throw new Error(`unknown event name ` +
				    JSON.stringify(message.name));
			event = message.args[0];
			if (!event || typeof event.topic !== 'string')
				throw new Error('the event has no topic');
		} catch (e) {
			this.log(`event hub: ${conn.id}: bad event: ${e.message}`);
			return {success: false, message: `bad event: ${e.message}`};
		}
		try {
			return this.receive(conn, event);
		} catch (e) {
			this.log(`event hub: ${conn.id}: ${e.message}`);
			return {success: false, message: e.message};
		}
	}

	/* An event from a connection (or a local client). */
	receive(conn, event) {
		const data = event.data || {};
		if (event.topic === 'ftrack.meta.subscribe') {
			const subscriber = data.subscriber;
			if (!subscriber || typeof subscriber.id !== 'string')
				throw new Error('subscribe: data.subscriber.id ' +
				    'is missing');
			const expression = compile(data.subscription);
			/* One entry per subscriber id and connection: clients
			 * subscribe twice (§2.7). */
			conn.subscribers.set(subscriber.id, {metadata: subscriber,
			    expression});
			return {success: true};
		}
		if (event.topic === 'ftrack.meta.unsubscribe') {
			const id = data.subscriber && data.subscriber.id;
			conn.subscribers.delete(id);
			return {success: true};
		}
		this.publish(event, conn.id);
		return {success: true};
	}

	/* Deliver `event` once to every interested connection (§2.7). */
	publish(event, from) {
		let target = null;
		if (event.target) {
			try {
				target = this.targetMatcher(event.target);
			} catch (e) {
				this.log(`event hub: event ${event.id}: target: ` +
				    e.message);
				return 0;
			}
		}
		let delivered = 0;
		for (const conn of this.connections) {
			for (const sub of conn.subscribers.values()) {
				if (sub.expression.match(event) &&
				    (!target || target.match(sub.metadata))) {
					conn.deliver(event);
					delivered++;
					break;
				}
			}
		}
		this.eventLog.push({received_at: new Date().toISOString(),
		    from, delivered_to: delivered, event});
		if (this.eventLog.length > EVENT_LOG_SIZE)
			this.eventLog.shift();
		return delivered;
	}

	targetMatcher(text) {
		if (!this.targets.has(text))
			this.targets.set(text, compile(text));
		return this.targets.get(text);
	}

	/* A subscriber inside the double (the web UI emulation): receives
	 * deliveries through `onEvent`. */
	localClient(name, onEvent) {
		const conn = {id: `local:${name}`, user: null, ws: null,
		    subscribers: new Map(), deliver: onEvent};
		this.connections.add(conn);
		return {
			subscribe: (metadata, subscription) =>
			    this.receive(conn, {topic: 'ftrack.meta.subscribe',
				data: {subscriber: metadata, subscription}}),
			close: () => this.connections.delete(conn),
		};
	}

	/* Drop every WebSocket: "terminate" (no close frame), "close"
	 * (close frame 1001) or "disconnect" (socket.io "0::" first). */
	dropAll(mode = 'terminate') {
		let n = 0;
		for (const conn of this.connections) {
			if (!conn.ws)
				continue;
			n++;
			if (mode === 'close') {
				conn.ws.close(1001, 'dropped by the double');
			} else if (mode === 'disconnect') {
				send(conn.ws, '0::');
				conn.ws.close(1000);
			} else {
				conn.ws.terminate();
			}
		}
		this.log(`event hub: dropped ${n} connection(s) (${mode})`);
		return n;
	}

	/* Send `packet` as it is to every WebSocket, split into `fragments`
	 * frames (to test a client's parser). */
	sendRaw(packet, fragments = 1) {
		const size = Math.ceil(packet.length / fragments) || 1;
		let n = 0;
		for (const conn of this.connections) {
			if (!conn.ws || conn.ws.readyState !== conn.ws.OPEN)
				continue;
			n++;
			for (let at = 0; at < packet.length || at === 0;
			    at += size) {
				const last = at + size >= packet.length;
				conn.ws.send(packet.slice(at, at + size),
				    {fin: last});
				if (last)
					break;
			}
		}
		return n;
	}

	subscriptions() {
		const out = [];
		for (const conn of this.connections) {
			for (const sub of conn.subscribers.values()) {
				out.push({connection: conn.id,
				    user: conn.user ? conn.user.username : null,
				    subscriber: sub.metadata,
				    subscription: sub.expression.text});
			}
		}
		return out;
	}

	close() {
		for (const conn of this.connections) {
			if (conn.ws) {
				clearInterval(conn.timer);
				conn.ws.terminate();
			}
		}
	}
}

function send(ws, text) {
	if (ws && ws.readyState === ws.OPEN)
		ws.send(text);
}

module.exports = {EventHub};
