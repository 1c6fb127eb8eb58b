'use strict';
/*
 * The quickstart's ftrack part: what a production coordinator does in
 * ftrack's web UI, played against the local ftrack double
 * (tests/ftrack-double) through its web-UI hooks, with ftrack's own
 * JavaScript client (@ftrack/api) to read what ferry-ftrack wrote back.
 *
 *   node contrib/ftrack-demo.js URL reroot OLD NEW [OLD NEW...]
 *   node contrib/ftrack-demo.js URL send USER VERSION_ID FROM TO
 *   node contrib/ftrack-demo.js URL watch USER
 *   node contrib/ftrack-demo.js URL registered LOCATION VERSION_ID
 */
const {Session} = require('@ftrack/api');

const [url, command, ...args] = process.argv.slice(2);
const session = new Session(url, 'ferry', 'ferry-double-api-key');

async function webUI(what, body) {
	const res = await fetch(`${url}/_double/${what}`, {method: 'POST',
	    headers: {'content-type': 'application/json'},
	    body: JSON.stringify(body)});
	const out = await res.json();
	if (!res.ok)
		throw new Error(`${what}: ${res.status} ${JSON.stringify(out)}`);
	return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function description(job) {
	try {
		return JSON.parse(job.data).description;
	} catch (e) {
		return '';
	}
}

const commands = {
	/* The sample project's files live under the quickstart's scratch
	 * directory: point ftrack's records there. */
	async reroot(...pairs) {
		const rows = (await session.query('select id, ' +
		    'resource_identifier from ComponentLocation')).data;
		const ops = [];
		for (const row of rows) {
			for (let i = 0; i < pairs.length; i += 2) {
				const ri = row.resource_identifier;
				if (ri.startsWith(pairs[i])) {
					ops.push({action: 'update', entity_type:
					    'ComponentLocation', entity_key: [row.id],
					    entity_data: {resource_identifier:
					    pairs[i + 1] + ri.slice(pairs[i].length)}});
					break;
				}
			}
		}
		await session.call(ops);
		console.log(`  ${ops.length} ftrack file records point at the ` +
		    'demo files');
	},

	/* Right-click a version, "ferry Send", fill in the form, submit. */
	async send(user, version, from, to) {
		const selection = [{entityId: version, entityType: 'assetversion'}];
		const found = await webUI('discover', {user, selection,
		    wait_ms: 5000});
		console.log('  actions offered: ' +
		    found.items.map((i) => i.label).join(', ') +
		    ` (${found.reply_ms} ms)`);
		const form = await webUI('launch', {user, selection,
		    actionIdentifier: 'ferry.send', wait_ms: 20000});
		const items = form.replies[0].data.items;
		console.log('  the form asks for: ' + items.filter((i) => i.name)
		    .map((i) => i.label || i.name).join(', '));
		const sent = await webUI('launch', {user, selection,
		    actionIdentifier: 'ferry.send', wait_ms: 20000,
		    values: {source: from, destination: to, priority: 500,
		    note: 'quickstart', additional_files: ''}});
		const reply = sent.replies[0].data;
		console.log(`  ferry-ftrack: ${reply.message}`);
		if (!reply.success)
			process.exit(1);
	},

	/* The user's ftrack Job, as the web UI's Jobs menu shows it. */
	async watch(user) {
		let last = '';
		for (let i = 0; i < 600; i++) {
			const jobs = (await session.query('select status, data ' +
			    'from Job where user.username is "' + user + '" ' +
			    'order by created_at descending limit 1')).data;
			if (jobs.length) {
				const line = `${jobs[0].status}: ` +
				    description(jobs[0]);
				if (line !== last)
					console.log(`  ftrack Job ${line}`);
				last = line;
				if (jobs[0].status === 'done' ||
				    jobs[0].status === 'failed')
					return;
			}
			await sleep(300);
		}
		throw new Error('the ftrack Job did not finish');
	},

	/* What ftrack now knows the destination holds of the version. */
	async registered(location, version) {
		const rows = (await session.query('select resource_identifier ' +
		    'from ComponentLocation where location.name is "' +
		    location + '" and (component.version_id is "' + version +
		    '" or component.container.version_id is "' + version +
		    '")')).data;
		console.log(`  ${rows.length} components of the version are ` +
		    `registered in ${location}, e.g.`);
		for (const r of rows.map((x) => x.resource_identifier).sort()
		    .slice(0, 3))
			console.log(`    ${r}`);
	},
};

(async () => {
	if (!commands[command])
		throw new Error(`unknown command ${command}`);
	await commands[command](...args);
})().catch((e) => {
	console.error(`ftrack-demo: ${e.message}`);
	process.exit(1);
});
