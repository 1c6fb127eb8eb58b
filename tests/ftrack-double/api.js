'use strict';
/*
 * POST /api: a batch of operations run as one transaction (§1.3), each
 * answered in order, or one ftrack error object for the whole batch
 * (§1.4). After a batch that changed something, the server's
 * `ftrack.update` event is published (§2.12).
 */
const {FtrackError, typeOf} = require('./store.js');
const {TYPES, ftrackSchemas} = require('./schema.js');
const {query} = require('./query.js');

const SERVER_INFORMATION = {
	version: '4.13.8',
	schema_hash: 'ferry-ftrack-double-1',
	is_timezone_support_enabled: true,
	storage_scenario: {scenario: 'ftrack.automatic', data: {}},
};

/* An entity_key: a string, or an array in primary key order (§1.6). */
function entityKey(op) {
	const key = op.entity_key;
	if (typeof key === 'string')
		return [key];
	if (Array.isArray(key) && key.length &&
	    key.every((k) => typeof k === 'string'))
		return key;
	throw new FtrackError('ValidationError', `${op.action}: entity_key ` +
	    'must be a string or an array of strings.');
}

function entityType(op) {
	if (typeof op.entity_type !== 'string')
		throw new FtrackError('ValidationError',
		    `${op.action}: entity_type is missing.`);
	return typeOf(op.entity_type).name;
}

/* How the web UI names entity types in events (§3.2). */
function webEntityType(typeName) {
	let t = TYPES[typeName];
	while (t.base && t.base !== 'Context')
		t = TYPES[t.base];
	if (t.name === 'TypedContext')
		return 'task';
	if (t.name === 'Project')
		return 'show';
	return t.name.toLowerCase();
}

function parentId(record) {
	for (const k of ['parent_id', 'context_id', 'asset_id', 'version_id',
	    'container_id', 'component_id', 'job_id']) {
		if (record[k])
			return record[k];
	}
	return null;
}

function updateEntry(record, action, changes) {
	return {
		entityId: record.id || null,
		entityType: webEntityType(record.__entity_type__),
		entity_type: record.__entity_type__,
		action,
		keys: Object.keys(changes),
		changes,
		parentId: parentId(record),
	};
}

function addedChanges(record) {
	const changes = {};
	for (const [k, v] of Object.entries(record)) {
		if (k !== '__entity_type__' && v !== null)
			changes[k] = {old: null, new: v};
	}
	return changes;
}

/*
 * What create and update answer: the entity's type and primary key, no
 * more. ftrack's captured answers differ (a ComponentLocation's create
 * says only that; a User's, every stored attribute; an update, the
 * attributes changed), so a client must read back nothing it did not ask
 * for, and the double gives it nothing more.
 */
function reference(record) {
	const out = {__entity_type__: record.__entity_type__};
	for (const k of TYPES[record.__entity_type__].primary_key)
		out[k] = record[k];
	return out;
}

const ACTIONS = {
	query_server_information(ctx, op) {
		const info = {...SERVER_INFORMATION, ...ctx.serverInformation};
		if (!Array.isArray(op.values))
			return info;
		const out = {};
		for (const k of op.values) {
			if (k in info)
				out[k] = info[k];
		}
		return out;
	},
	query_schemas() {
		return ftrackSchemas();
	},
	query(ctx, op) {
		return query(ctx.store, op.expression);
	},
	create(ctx, op) {
		const record = ctx.store.create(entityType(op),
		    op.entity_data || {});
		ctx.updates.push(updateEntry(record, 'add',
		    addedChanges(record)));
		return {action: 'create', data: reference(record)};
	},
	update(ctx, op) {
		const {record, changes} = ctx.store.update(entityType(op),
		    entityKey(op), op.entity_data || {});
		if (Object.keys(changes).length)
			ctx.updates.push(updateEntry(record, 'update', changes));
		return {action: 'update', data: reference(record)};
	},
	delete(ctx, op) {
		for (const record of ctx.store.delete(entityType(op),
		    entityKey(op)))
			ctx.updates.push(updateEntry(record, 'remove', {}));
		return {action: 'delete', data: true};
	},
};

/*
 * Runs a decoded request body. `ctx` = {store, serverInformation, user,
 * clientToken, pushToken, publish}. Returns the response array; throws
 * FtrackError for the whole batch.
 */
function runBatch(ctx, body) {
	if (!Array.isArray(body))
		throw new FtrackError('ServerError', 'The request body must ' +
		    'be a JSON array of operations.');
	ctx.updates = [];
	const results = ctx.store.transaction(() => body.map((op, i) => {
		const action = op && typeof op === 'object' ? op.action : null;
		if (typeof action !== 'string')
			throw new FtrackError('ServerError', `Operation ${i} ` +
			    'has no "action".');
		if (!Object.prototype.hasOwnProperty.call(ACTIONS, action))
			throw new FtrackError('ServerError', `Invalid action ` +
			    `'${action}' (operation ${i}).`);
		return ACTIONS[action](ctx, op);
	}));
	if (ctx.updates.length && ctx.publish)
		ctx.publish(updateEvent(ctx));
	return results;
}

function updateEvent(ctx) {
	return {
		topic: 'ftrack.update',
		data: {
			entities: ctx.updates,
			parents: [...new Set(ctx.updates.map((u) => u.parentId)
			    .filter((p) => p))],
			clientToken: ctx.clientToken || null,
			pushToken: ctx.pushToken || null,
			user: {userid: ctx.user.id, name: ctx.user.username},
		},
		source: {id: 'ftrack.server', applicationId: 'ftrack.server',
		    clientToken: ctx.clientToken || null,
		    user: {id: ctx.user.id, username: ctx.user.username}},
		target: '',
		inReplyToEvent: null,
	};
}

module.exports = {runBatch, SERVER_INFORMATION};
