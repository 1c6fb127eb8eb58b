'use strict';
/*
 * Helpers of tests/ftrack/publish.sh. Each command prints one JSON value.
 *
 *   node publish.js api SOCKET JSON      one request to a ferryd's local
 *                                        API; prints its last answer
 *   node publish.js query URL EXPR       rows of an ftrack query, read
 *                                        with ftrack's own @ftrack/api
 *   node publish.js create URL TYPE JSON creates an entity; prints its id
 */
const net = require('net');
const {Session} = require('@ftrack/api');

const [command, ...args] = process.argv.slice(2);

function session(url) {
	return new Session(url, 'ferry', 'ferry-double-api-key');
}

/* Dates and other client objects as plain JSON. */
function plain(rows) {
	return JSON.parse(JSON.stringify(rows));
}

function api(socket, request) {
	return new Promise((resolve, reject) => {
		const c = net.createConnection(socket);
		let data = '';
		c.on('connect', () => c.write(request.trim() + '\n'));
		c.on('data', (d) => {
			data += d;
			const lines = data.split('\n').filter((l) => l !== '');
			const last = lines.length ?
			    JSON.parse(lines[lines.length - 1]) : {};
			if (data.endsWith('\n') && (last.done || last.error)) {
				c.end();
				resolve(last);
			}
		});
		c.on('error', reject);
	});
}

const commands = {
	api: (socket, request) => api(socket, request),
	async query(url, expr) {
		return plain((await session(url).query(expr)).data);
	},
	async create(url, type, json) {
		return (await session(url).create(type, JSON.parse(json))).data
		    .id;
	},
};

(async () => {
	try {
		if (!commands[command])
			throw new Error(`unknown command ${command}`);
		console.log(JSON.stringify(await commands[command](...args)));
	} catch (e) {
		console.error(`publish.js ${command}: ${e.message}`);
		process.exit(1);
	}
})();
