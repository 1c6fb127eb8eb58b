'use strict';
/*
 * The web UI and the checks of tests/ftrack/listener.sh. Events are
 * published exactly as ftrack's web UI does, through the double's
 * /_double/ hooks (discover, launch, publish: source.user with id and
 * username, data.selection, data.values for a submitted form); ftrack's
 * own JavaScript client, @ftrack/api, reads and writes the data (Jobs,
 * ComponentLocations, statuses, assignments). Each command prints one
 * JSON value on stdout.
 *
 *   node listener.js URL COMMAND ARGS...
 */
const fs = require('fs');
const {Session} = require('@ftrack/api');

const [url, command, ...args] = process.argv.slice(2);

function session(as) {
	return as === 'jdoe' ?
	    new Session(url, 'jdoe@studio.example', 'jdoe-personal-key') :
	    new Session(url, 'ferry', 'ferry-double-api-key');
}

async function hook(method, path, body) {
	const res = await fetch(`${url}/_double/${path}`, {method,
	    headers: {'content-type': 'application/json'},
	    body: body === undefined ? undefined : JSON.stringify(body)});
	const out = await res.json();
	if (!res.ok)
		throw new Error(`${path}: ${res.status} ${JSON.stringify(out)}`);
	return out;
}

/* "assetversion:ID,task:ID" -> a web UI selection. */
function selection(text) {
	return text === '' ? [] : text.split(',').map((s) => {
		const [entityType, entityId] = s.split(':');
		return {entityId, entityType};
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Resolves with fn()'s value once it is not undefined, or throws. */
async function until(what, seconds, fn) {
	const end = Date.now() + seconds * 1000;
	for (;;) {
		const v = await fn();
		if (v !== undefined)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out after ${seconds} s: ${what}`);
		await sleep(200);
	}
}

function jobDescription(job) {
	try {
		return JSON.parse(job.data).description;
	} catch (e) {
		return null;
	}
}

const commands = {
	/* reroot OLD NEW...: moves the identifiers of every
	 * ComponentLocation under OLD to NEW (the test's own directories). */
	async reroot(...pairs) {
		const s = session();
		const rows = (await s.query('select id, resource_identifier ' +
		    'from ComponentLocation')).data;
		const ops = [];
		for (const row of rows) {
			for (let i = 0; i < pairs.length; i += 2) {
				const ri = row.resource_identifier;
				if (!ri.startsWith(pairs[i]))
					continue;
				ops.push({action: 'update', entity_type:
				    'ComponentLocation', entity_key: [row.id],
				    entity_data: {resource_identifier: pairs[i + 1] +
				    ri.slice(pairs[i].length)}});
				break;
			}
		}
		await s.call(ops);
		return ops.length;
	},

	/* discover USER SELECTION [WAIT_MS] */
	async discover(user, sel, waitMs) {
		const out = await hook('POST', 'discover', {user,
		    selection: selection(sel), wait_ms: Number(waitMs || 5000)});
		return {items: out.items, replies: out.replies.length,
		    reply_ms: out.reply_ms};
	},

	/* launch USER SELECTION [VALUES_JSON [WAIT_MS]]: the reply's data */
	async launch(user, sel, values, waitMs) {
		const body = {user, selection: selection(sel),
		    actionIdentifier: 'ferry.send',
		    wait_ms: Number(waitMs || 20000)};
		if (values !== undefined && values !== '')
			body.values = JSON.parse(values);
		const out = await hook('POST', 'launch', body);
		return out.replies.length ? out.replies[0].data : null;
	},

	/* publish USER EVENT_JSON [WAIT_MS]: any event from the web UI */
	async publish(user, event, waitMs) {
		const out = await hook('POST', 'publish', {user,
		    event: JSON.parse(event), wait_ms: Number(waitMs || 5000)});
		return out.replies.length ? out.replies[0].data : null;
	},

	/* subscribed: until ferry-ftrack's launch subscription is there */
	async subscribed() {
		return until('ferry-ftrack subscribed', 30, async () => {
			const subs = await hook('GET', 'subscriptions');
			return subs.some((s) => s.user === 'ferry' &&
			    /actionIdentifier=ferry\.send/.test(s.subscription)) ?
			    true : undefined;
		});
	},

	/*
	 * sends: how many launch subscriptions of ferry.send the double
	 * holds now (one per ferry-ftrack answering ftrack)
	 */
	async sends() {
		const subs = await hook('GET', 'subscriptions');
		return subs.filter((s) => s.user === 'ferry' &&
		    /actionIdentifier=ferry\.send/.test(s.subscription)).length;
	},

	/*
	 * discover-all, launch-all: as discover and launch, but every reply
	 * that comes in WAIT_MS, not only the first (two listeners answering
	 * would be two Send actions, or a press run twice)
	 */
	async 'discover-all'(user, sel, waitMs) {
		const out = await hook('POST', 'discover', {user,
		    selection: selection(sel), max_replies: 10,
		    wait_ms: Number(waitMs || 4000)});
		return out.replies.map((r) => r.data);
	},
	async 'launch-all'(user, sel, values, waitMs) {
		const out = await hook('POST', 'launch', {user,
		    selection: selection(sel), actionIdentifier: 'ferry.send',
		    values: JSON.parse(values), max_replies: 10,
		    wait_ms: Number(waitMs || 8000)});
		return out.replies.map((r) => r.data);
	},

	/* jobs USER: the user's ftrack Jobs, oldest first */
	async jobs(user) {
		const rows = (await session().query('select id, status, data, ' +
		    `created_at from Job where user.username is "${user}" ` +
		    'order by created_at')).data;
		return rows.map((j) => ({id: j.id, status: j.status,
		    description: jobDescription(j)}));
	},

	/* wait-jobs USER COUNT [SECONDS]: until the user has COUNT Jobs, none
	 * running; prints them */
	async 'wait-jobs'(user, count, seconds) {
		return until(`${count} finished Jobs for ${user}`,
		    Number(seconds || 60), async () => {
			const jobs = await commands.jobs(user);
			return jobs.length >= Number(count) && jobs.every((j) =>
			    j.status !== 'running' && j.status !== 'queued') ?
			    jobs : undefined;
		});
	},

	/* history JOB_ID: the Job's statuses and descriptions as ftrack
	 * published them (ftrack.update events), in order */
	async history(id) {
		const events = await hook('GET', 'events?topic=ftrack.update');
		const out = [];
		for (const e of events) {
			for (const ent of e.event.data.entities) {
				if (ent.entity_type !== 'Job' || ent.entityId !== id)
					continue;
				const c = ent.changes;
				out.push({action: ent.action,
				    status: c.status ? c.status.new : undefined,
				    description: c.data ?
				    jobDescription({data: c.data.new}) : undefined});
			}
		}
		return out;
	},

	/* locations LOCATION VERSION_ID: what that location holds of the
	 * version, components and members */
	async locations(location, version) {
		const rows = (await session().query('select component.name, ' +
		    'component.container.name, resource_identifier from ' +
		    `ComponentLocation where location.name is "${location}" and ` +
		    `(component.version_id is "${version}" or ` +
		    `component.container.version_id is "${version}")`)).data;
		return rows.map((r) => r.resource_identifier).sort();
	},

	/* status VERSION_ID: the version's status name */
	async status(version) {
		const rows = (await session().query('select status.name from ' +
		    `AssetVersion where id is "${version}"`)).data;
		return rows[0].status.name;
	},

	/* assign USER_ID TASK_ID: jdoe assigns the task (an Appointment) */
	async assign(user, task) {
		const out = await session('jdoe').create('Appointment',
		    {context_id: task, resource_id: user, type: 'assignment'});
		return out.data.id;
	},

	/* get PATH: a /_double/ hook's answer (api-options, traffic...) */
	async get(path) {
		return hook('GET', path);
	},

	/*
	 * added FILE: another integration, on ftrack's own client, hearing
	 * of deliveries: subscribes to ftrack.location.component-added,
	 * prints "subscribed" once the double has the subscription, then
	 * appends each event's data to FILE, one JSON line each, until
	 * killed.
	 */
	async added(file) {
		const s = new Session(url, 'ana@studio.example',
		    'ana-personal-key', {autoConnectEventHub: true});
		await s.initializing;
		s.eventHub.subscribe('topic=ftrack.location.component-added',
		    (event) => fs.appendFileSync(file,
		    JSON.stringify(event.data) + '\n'));
		await until('the component-added subscription', 30, async () =>
		    (await hook('GET', 'subscriptions')).some((x) =>
		    x.user === 'ana@studio.example' &&
		    /component-added/.test(x.subscription)) ? true : undefined);
		process.stdout.write('subscribed\n');
		return new Promise(() => {});
	},

	/* drop: the double drops every WebSocket */
	async drop() {
		return (await hook('POST', 'drop-sockets',
		    {mode: 'terminate'})).dropped;
	},
};

(async () => {
	if (!commands[command])
		throw new Error(`unknown command ${command}`);
	const out = await commands[command](...args);
	process.stdout.write(JSON.stringify(out) + '\n');
	process.exit(0);
})().catch((e) => {
	process.stderr.write(`listener.js ${command}: ${e.message}\n`);
	process.exit(1);
});
