'use strict';
/*
 * Test hooks under /_double/ (not part of ftrack; documented in
 * README.md): drop the WebSockets, change the heartbeat, look at
 * subscriptions, events and entities, reload the fixture, and play the
 * web UI: publish events as ftrack's browser client does (§3.6) and
 * collect the replies.
 */
const crypto = require('crypto');
const {encodeStored, typeOf} = require('./query.js');

const DEFAULT_WAIT_MS = 5000;

class HookError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

class Hooks {
	/* double: {store, hub, reload()} */
	constructor(double) {
		this.double = double;
		this.uiMessages = [];
		this.uiClients = [];
		this.listenAsWebUi();
	}

	/* One web UI per user, receiving what actions push to browsers with
	 * ftrack.action.trigger-user-interface (§3.5). */
	listenAsWebUi() {
		for (const c of this.uiClients)
			c.close();
		this.uiClients = this.double.store.all('User').map((user) => {
			const client = this.double.hub.localClient(
			    `web-ui:${user.username}`, (event) =>
			    this.uiMessages.push({user: user.username, event}));
			client.subscribe(webSource(user, `web-ui-${user.id}`),
			    'topic=ftrack.action.trigger-user-interface');
			return client;
		});
	}

	/* Returns [status, JSON body] for method + path, or throws. */
	async handle(method, path, query, body) {
		const route = `${method} ${path.replace(/^\/_double\/?/, '/')
		    .replace(/^\/entities\/.*/, '/entities/')}`;
		const d = this.double;
		switch (route) {
		case 'GET /':
			return HELP;
		case 'POST /drop-sockets':
			return {dropped: d.hub.dropAll(body.mode || 'terminate')};
		case 'POST /heartbeat':
			return this.heartbeat(body);
		case 'POST /send-raw':
			return this.sendRaw(body);
		case 'POST /fail-next':
			return this.failNext(body);
		case 'GET /traffic':
			return d.traffic;
		case 'GET /api-options':
			return d.apiOptions;
		case 'POST /api-options':
			if (typeof body.ignore !== 'boolean')
				throw new HookError(400, 'ignore must be true ' +
				    'or false');
			d.apiOptions.ignore = body.ignore;
			return d.apiOptions;
		case 'GET /subscriptions':
			return d.hub.subscriptions();
		case 'GET /events':
			return d.hub.eventLog.filter((e) => !query.get('topic') ||
			    e.event.topic === query.get('topic'));
		case 'GET /ui-messages':
			return this.uiMessages.filter((m) => !query.get('user') ||
			    m.user === query.get('user'));
		case 'GET /entities/':
			return this.entities(path.replace(/^.*\/entities\//, ''));
		case 'POST /reset':
			d.reload();
			this.uiMessages = [];
			this.listenAsWebUi();
			return {reset: true};
		case 'POST /publish':
			return this.publish(body.event, body);
		case 'POST /discover':
			return this.discover(body);
		case 'POST /launch':
			return this.launch(body);
		default:
			throw new HookError(404, `no hook ${method} ${path} ` +
			    '(GET /_double/ lists them)');
		}
	}

	heartbeat(body) {
		const interval = body.interval_ms;
		const timeout = body.timeout_ms;
		if (!Number.isInteger(interval) || interval < 10 ||
		    (timeout !== undefined && (!Number.isInteger(timeout) ||
		    timeout < interval)))
			throw new HookError(400, 'interval_ms must be an ' +
			    'integer >= 10, timeout_ms (optional) >= interval_ms');
		this.double.hub.setHeartbeat(interval, timeout);
		return {interval_ms: this.double.hub.heartbeatMs,
		    timeout_ms: this.double.hub.heartbeatTimeoutMs};
	}

	sendRaw(body) {
		const fragments = body.fragments === undefined ? 1 :
		    body.fragments;
		if (typeof body.packet !== 'string' ||
		    !Number.isInteger(fragments) || fragments < 1)
			throw new HookError(400, 'packet must be a string, ' +
			    'fragments (optional) an integer >= 1');
		return {sent_to: this.double.hub.sendRaw(body.packet, fragments)};
	}

	/* The next `count` calls to /api get HTTP `status` and no answer
	 * (a load balancer in trouble). */
	failNext(body) {
		const count = body.count;
		const status = body.status === undefined ? 503 : body.status;
		if (!Number.isInteger(count) || count < 0 ||
		    !Number.isInteger(status) || status < 400 || status > 599)
			throw new HookError(400, 'count must be an integer >= 0, ' +
			    'status (optional) 400-599');
		this.double.failNext = {count, status};
		return this.double.failNext;
	}

	entities(typeName) {
		try {
			typeOf(typeName);
		} catch (e) {
			throw new HookError(404, e.message);
		}
		return this.double.store.all(typeName).map(encodeStored);
	}

	user(username) {
		const name = username || 'ana@studio.example';
		const user = this.double.store.all('User').find((u) =>
		    u.username === name);
		if (!user)
			throw new HookError(400, `no user "${name}"`);
		return user;
	}

	/*
	 * Publish `event` as the web UI of `opts.user` would, and collect the
	 * replies to it until `max_replies` (default 1) have come or
	 * `wait_ms` (default 5000) has passed.
	 */
	async publish(event, opts) {
		if (!event || typeof event.topic !== 'string')
			throw new HookError(400, 'event.topic is missing');
		const user = this.user(opts.user);
		const webId = `web-${crypto.randomUUID()}`;
		const full = {
			id: crypto.randomUUID(),
			data: {},
			source: webSource(user, webId),
			target: '',
			inReplyToEvent: null,
			sent: null,
			...event,
		};
		const replies = [];
		const replyMs = [];	/* when each came, after publishing */
		let start;	/* set just before publishing */
		const max = opts.max_replies === undefined ? 1 :
		    opts.max_replies;
		const waitMs = opts.wait_ms === undefined ? DEFAULT_WAIT_MS :
		    opts.wait_ms;
		let done;
		const finished = new Promise((resolve) => { done = resolve; });
		const client = this.double.hub.localClient(webId, (reply) => {
			if (reply.inReplyToEvent !== full.id)
				return;
			replies.push(reply);
			replyMs.push(Number(process.hrtime.bigint() - start) / 1e6);
			if (max > 0 && replies.length >= max)
				done();
		});
		client.subscribe(full.source, 'topic=ftrack.meta.reply');
		const timer = setTimeout(done, waitMs);
		start = process.hrtime.bigint();
		const delivered = this.double.hub.publish(full, 'double');
		/* Nobody got it, so nobody will reply. */
		if (max === 0 || delivered === 0)
			done();
		await finished;
		clearTimeout(timer);
		client.close();
		return {event: full, delivered_to: delivered, replies,
		    reply_ms: replyMs};
	}

	/* ftrack.action.discover for a selection; items of all replies
	 * merged (§3.1). */
	async discover(body) {
		const out = await this.publish({topic: 'ftrack.action.discover',
		    data: {selection: selection(body)}}, body);
		out.items = [];
		for (const r of out.replies) {
			if (r.data && Array.isArray(r.data.items))
				out.items.push(...r.data.items);
		}
		return out;
	}

	/* ftrack.action.launch: the chosen item's keys, the selection, and
	 * the form's values when given (§3.3). */
	async launch(body) {
		const item = body.item ||
		    (body.actionIdentifier ?
		    {actionIdentifier: body.actionIdentifier} : null);
		if (!item || typeof item.actionIdentifier !== 'string')
			throw new HookError(400, 'launch needs item (a discover ' +
			    'item) or actionIdentifier');
		const data = {...item, selection: selection(body)};
		if (body.values !== undefined)
			data.values = body.values;
		return this.publish({topic: 'ftrack.action.launch', data}, body);
	}
}

function webSource(user, id) {
	return {id, applicationId: 'ftrack.client.web',
	    user: {id: user.id, username: user.username}};
}

function selection(body) {
	const sel = body.selection === undefined ? [] : body.selection;
	if (!Array.isArray(sel) || !sel.every((s) => s &&
	    typeof s.entityId === 'string' && typeof s.entityType === 'string'))
		throw new HookError(400, 'selection must be an array of ' +
		    '{"entityId": ..., "entityType": ...}');
	return sel;
}

const HELP = {
	'GET /_double/': 'this list',
	'POST /_double/drop-sockets': '{"mode": "terminate"|"close"|' +
	    '"disconnect"} -> {"dropped": n}',
	'POST /_double/heartbeat': '{"interval_ms": n, "timeout_ms": m}',
	'POST /_double/send-raw': '{"packet": "7:::x", "fragments": n} to ' +
	    'every WebSocket',
	'POST /_double/fail-next': '{"count": n, "status": 503}: the next n ' +
	    '/api calls fail',
	'GET /_double/api-options': 'whether ftrack-api-options is ignored, ' +
	    'and how many answers were sent whole or de-duplicated',
	'POST /_double/api-options': '{"ignore": true|false}: ignore ' +
	    'ftrack-api-options as an older server does',
	'GET /_double/traffic': 'requests to /api, the event hub handshake ' +
	    'and upgrades, by HTTP version',
	'GET /_double/subscriptions': 'every subscriber of every connection',
	'GET /_double/events?topic=T': 'events routed, oldest first',
	'GET /_double/ui-messages?user=U': 'trigger-user-interface events ' +
	    'received by the web UI of each user',
	'GET /_double/entities/TYPE': 'every entity of TYPE, subtypes too',
	'POST /_double/reset': 'reload the fixture',
	'POST /_double/publish': '{"event": {...}, "user": U, "wait_ms": n, ' +
	    '"max_replies": n} -> {"event", "delivered_to", "replies"}',
	'POST /_double/discover': '{"user": U, "selection": [...], ...} -> ' +
	    '{"event", "replies", "items"}',
	'POST /_double/launch': '{"user": U, "selection": [...], "item": ' +
	    '{...} | "actionIdentifier": A, "values": {...}, ...}',
};

module.exports = {Hooks, HookError};
