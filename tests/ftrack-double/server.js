#!/usr/bin/env node
'use strict';
/*
 * A test double of the ftrack server for ferry's tests: the REST API
 * (POST /api), the event hub (socket.io 0.9 over WebSocket) and test hooks
 * under /_double/. See README.md.
 *
 *   node server.js --port P [--fixture FILE] [--api-key KEY]
 *       [--host ADDR] [--heartbeat-ms MS] [--ignore-api-options]
 *       [--tls-cert FILE --tls-key FILE] [--quiet]
 *
 * Prints "listening on http://HOST:PORT" (https with --tls-cert) on
 * stdout once ready.
 */
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const http2 = require('http2');
const path = require('path');
const {Store, FtrackError} = require('./store.js');
const {runBatch} = require('./api.js');
const {EventHub} = require('./eventhub.js');
const {Hooks, HookError} = require('./hooks.js');
const {dedupe, wantsDenormalized} = require('./dedupe.js');

const MAX_BODY = 64 << 20;

function usage(message) {
	process.stderr.write(`ftrack-double: ${message}\n` +
	    'usage: node server.js --port P [--fixture FILE] ' +
	    '[--api-key KEY] [--host ADDR] [--heartbeat-ms MS]\n' +
	    '    [--ignore-api-options] [--tls-cert FILE --tls-key FILE] ' +
	    '[--quiet]\n');
	process.exit(2);
}

function parseArgs(argv) {
	const opts = {port: null, host: '127.0.0.1', quiet: false,
	    fixture: path.join(__dirname, 'fixture.json'), apiKey: null,
	    heartbeatMs: 5000, tlsCert: null, tlsKey: null,
	    ignoreApiOptions: ['1', 'true', 'yes'].includes(String(
		process.env.FTRACK_DOUBLE_IGNORE_API_OPTIONS).toLowerCase())};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const next = () => {
			if (i + 1 >= argv.length)
				usage(`${arg} needs a value`);
			return argv[++i];
		};
		if (arg === '--port') {
			opts.port = Number(next());
		} else if (arg === '--host') {
			opts.host = next();
		} else if (arg === '--fixture') {
			opts.fixture = next();
		} else if (arg === '--api-key') {
			opts.apiKey = next();
		} else if (arg === '--heartbeat-ms') {
			opts.heartbeatMs = Number(next());
		} else if (arg === '--ignore-api-options') {
			opts.ignoreApiOptions = true;
		} else if (arg === '--tls-cert') {
			opts.tlsCert = next();
		} else if (arg === '--tls-key') {
			opts.tlsKey = next();
		} else if (arg === '--quiet') {
			opts.quiet = true;
		} else {
			usage(`unknown argument "${arg}"`);
		}
	}
	if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
		usage('--port needs a port number (0 picks a free one)');
	if (!Number.isInteger(opts.heartbeatMs) || opts.heartbeatMs < 10)
		usage('--heartbeat-ms needs a whole number of ms >= 10');
	if (!opts.tlsCert !== !opts.tlsKey)
		usage('--tls-cert and --tls-key go together');
	return opts;
}

/* The fixture: {"api_key", "personal_api_keys", "server_information",
 * "entities"}; see README.md. */
function loadFixture(file) {
	let fixture;
	try {
		fixture = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		throw new Error(`fixture ${file}: ${e.message}`);
	}
	const store = new Store();
	store.load(fixture.entities);
	return {fixture, store};
}

class Double {
	constructor(opts, log) {
		this.opts = opts;
		this.log = log;
		/* What came of ftrack-api-options (GET /_double/api-options). */
		this.apiOptions = {ignore: opts.ignoreApiOptions,
		    asked_whole: 0, sent_whole: 0, deduplicated: 0};
		/* Requests by route and HTTP version (GET /_double/traffic). */
		this.traffic = {};
		this.reload();
		this.hub = new EventHub({log, heartbeatMs: opts.heartbeatMs});
		this.hooks = new Hooks(this);
	}

	reload() {
		const {fixture, store} = loadFixture(this.opts.fixture);
		this.fixture = fixture;
		this.store = store;
		this.apiKey = this.opts.apiKey || fixture.api_key;
		if (typeof this.apiKey !== 'string' || !this.apiKey)
			throw new Error('no API key: give --api-key or set ' +
			    '"api_key" in the fixture');
	}

	/*
	 * The user a request acts as, or null. The server's key (--api-key)
	 * works for every active user, like an ftrack global API key; a
	 * fixture's personal_api_keys work for their user only.
	 */
	authenticate(username, key) {
		if (typeof username !== 'string' || typeof key !== 'string')
			return null;
		const user = this.store.all('User').find((u) =>
		    u.username === username);
		if (!user || !user.is_active)
			return null;
		const personal = (this.fixture.personal_api_keys || {})[username];
		return key === this.apiKey || (personal && key === personal) ?
		    user : null;
	}

	count(route, req) {
		const key = `${route} HTTP/${req.httpVersion}`;
		this.traffic[key] = (this.traffic[key] || 0) + 1;
	}

	async request(req, res) {
		const url = new URL(req.url, 'http://double');
		if (url.pathname === '/api' || url.pathname.startsWith(
		    '/socket.io/1'))
			this.count(url.pathname.replace(/\/$/, ''), req);
		try {
			if (url.pathname === '/api' && req.method === 'POST')
				return await this.api(req, res);
			if (url.pathname === '/socket.io/1/' ||
			    url.pathname === '/socket.io/1')
				return this.handshake(req, res, url);
			if (url.pathname.startsWith('/_double'))
				return await this.hook(req, res, url);
			reply(res, 404, {error: `no route ${req.method} ` +
			    `${url.pathname}`});
		} catch (e) {
			this.log(`error: ${req.method} ${url.pathname}: ` +
			    `${e.stack}`);
			reply(res, 500, {error: e.message});
		}
	}

	async api(req, res) {
		if (this.failNext && this.failNext.count > 0) {
			this.failNext.count--;
			this.log(`api: failing on purpose with ` +
			    `${this.failNext.status}`);
			reply(res, this.failNext.status, {error: 'failing on ' +
			    'purpose (POST /_double/fail-next)'});
			return;
		}
		const strict = String(req.headers['ftrack-strict-api'])
		    .toLowerCase() === 'true';
		const fail = (e) => {
			this.log(`api: ${e.exception}: ${e.message}`);
			reply(res, strict ? e.status : 200, {exception: e.exception,
			    content: e.message, error_code: null});
		};
		const user = this.authenticate(req.headers['ftrack-user'],
		    req.headers['ftrack-api-key']);
		if (!user) {
			fail(new FtrackError('InvalidCredentialsError',
			    'The supplied API key is not valid.', 401));
			return;
		}
		let body;
		try {
			body = JSON.parse(await readBody(req));
		} catch (e) {
			fail(new FtrackError('ServerError',
			    `The request body is not JSON: ${e.message}`));
			return;
		}
		try {
			const pushToken = req.headers['ftrack-pushtoken'];
			const results = runBatch({
				store: this.store, user,
				serverInformation: this.fixture.server_information,
				clientToken: req.headers['ftrack-clienttoken'],
				pushToken: pushToken === 'undefined' ? null :
				    pushToken,
				publish: (event) => this.hub.publish({
				    id: crypto.randomUUID(), ...event},
				    'ftrack.server'),
			}, body);
			reply(res, 200, this.shape(results,
			    req.headers['ftrack-api-options']));
		} catch (e) {
			if (!(e instanceof FtrackError))
				throw e;
			fail(e);
		}
	}

	/* Whole results when asked for (and not ignoring that), else
	 * de-duplicated as the real server's default (dedupe.js). */
	shape(results, header) {
		const s = this.apiOptions;
		const asked = wantsDenormalized(header);
		if (asked)
			s.asked_whole++;
		if (asked && !s.ignore) {
			s.sent_whole++;
			return results;
		}
		s.deduplicated++;
		return dedupe(results);
	}

	/* JS sends api_user/api_key in the query, Python the ftrack-user and
	 * ftrack-api-key headers (§2.2). */
	handshake(req, res, url) {
		const user = this.authenticate(
		    url.searchParams.get('api_user') || req.headers['ftrack-user'],
		    url.searchParams.get('api_key') ||
		    req.headers['ftrack-api-key']);
		if (!user) {
			this.log('event hub: handshake refused: bad credentials');
			res.writeHead(401, {'Content-Type': 'text/plain'});
			res.end('The supplied API key is not valid.\n');
			return;
		}
		res.writeHead(200, {'Content-Type': 'text/plain'});
		res.end(this.hub.handshake(user));
	}

	async hook(req, res, url) {
		let body = {};
		if (req.method === 'POST') {
			const text = await readBody(req);
			try {
				body = text.trim() ? JSON.parse(text) : {};
			} catch (e) {
				reply(res, 400, {error: `body: ${e.message}`});
				return;
			}
		}
		try {
			reply(res, 200, await this.hooks.handle(req.method,
			    url.pathname, url.searchParams, body || {}));
		} catch (e) {
			if (!(e instanceof HookError))
				throw e;
			reply(res, e.status, {error: e.message});
		}
	}
}

function readBody(req) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let size = 0;
		req.on('data', (c) => {
			size += c.length;
			if (size > MAX_BODY) {
				reject(new Error('request body too large'));
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString()));
		req.on('error', reject);
	});
}

function reply(res, status, json) {
	const body = JSON.stringify(json);
	res.writeHead(status, {'Content-Type': 'application/json',
	    'Content-Length': Buffer.byteLength(body)});
	res.end(body);
}

function main() {
	const opts = parseArgs(process.argv.slice(2));
	const log = opts.quiet ? () => {} : (line) =>
	    process.stderr.write(`ftrack-double: ${line}\n`);
	let double;
	try {
		double = new Double(opts, log);
	} catch (e) {
		process.stderr.write(`ftrack-double: ${e.message}\n`);
		process.exit(1);
	}
	const handler = (req, res) => double.request(req, res);
	/*
	 * Behind TLS the double offers h2 and http/1.1 by ALPN, as nginx and
	 * cloud load balancers do: REST over either, the event hub's
	 * WebSocket upgrade over HTTP/1.1 only.
	 */
	const server = opts.tlsCert ? http2.createSecureServer({
	    cert: fs.readFileSync(opts.tlsCert),
	    key: fs.readFileSync(opts.tlsKey), allowHTTP1: true}, handler) :
	    http.createServer(handler);
	const scheme = opts.tlsCert ? 'https' : 'http';
	server.on('upgrade', (req, socket, head) => {
		double.count('upgrade', req);
		double.hub.upgrade(req, socket, head);
	});
	server.on('error', (e) => {
		process.stderr.write(`ftrack-double: ${e.message}\n`);
		process.exit(1);
	});
	server.listen(opts.port, opts.host, () => {
		const {address, port} = server.address();
		const host = address.includes(':') ? `[${address}]` : address;
		process.stdout.write(`listening on ${scheme}://${host}:` +
		    `${port}\n`);
	});
	const stop = () => {
		double.hub.close();
		server.close(() => process.exit(0));
		server.closeAllConnections?.();
		/* An h2 session may linger; nothing is left to save. */
		setTimeout(() => process.exit(0), 500).unref();
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

main();
