'use strict';
/*
 * The double's database: entities held in memory by concrete type, with
 * ftrack's relationships resolved on read, input checked on write, and
 * writes journaled so that a failed batch leaves nothing behind (§1.3).
 */
const crypto = require('crypto');
const {TYPES, isScalar, findAttr} = require('./schema.js');

/* An error that becomes ftrack's error object (§1.4). */
class FtrackError extends Error {
	constructor(exception, content, status = 400) {
		super(content);
		this.exception = exception;
		this.status = status;
	}
}

function typeOf(name) {
	const type = Object.prototype.hasOwnProperty.call(TYPES, name) ?
	    TYPES[name] : null;
	if (!type)
		throw new FtrackError('ServerError',
		    `Unknown entity type "${name}".`);
	return type;
}

/*
 * Dates travel as {"__type__": "datetime", "value": ...} (§1.8) and are
 * kept as naive UTC "YYYY-MM-DDTHH:MM:SS", which is also how the server
 * sends them back. Accepts naive, "Z", "+HH:MM" and fractional seconds.
 */
const DATETIME = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:?\d\d)?)?$/;

function normaliseDatetime(value) {
	const m = typeof value === 'string' ? DATETIME.exec(value.trim()) : null;
	if (!m)
		return null;
	const time = m[2] ? (m[2].length === 5 ? m[2] + ':00' : m[2]) :
	    '00:00:00';
	if (!m[4])
		return `${m[1]}T${time}`;
	const date = new Date(`${m[1]}T${time}${m[4]}`);
	if (isNaN(date.getTime()))
		return null;
	return date.toISOString().slice(0, 19);
}

function nowDatetime() {
	return new Date().toISOString().slice(0, 19);
}

function pkString(type, values) {
	return type.primary_key.map((k) => String(values[k])).join(',');
}

class Store {
	constructor() {
		this.tables = new Map();
		for (const name of Object.keys(TYPES))
			this.tables.set(name, new Map());
		this.order = new WeakMap();	/* record -> insertion number */
		this.inserted = 0;
		this.version = 0;		/* bumped on every write */
		this.cache = new Map();		/* lists and indexes, per version */
		this.journal = null;		/* undo steps of the open batch */
	}

	/* Fixture: {"entities": {"Type": [{...}, ...], ...}}. */
	load(entities) {
		for (const [typeName, list] of Object.entries(entities || {})) {
			const type = typeOf(typeName);
			if (!Array.isArray(list))
				throw new Error(`fixture: entities.${typeName} ` +
				    'is not an array');
			list.forEach((data, i) => {
				try {
					const record = this.prepare(type, data);
					if (this.get(type.name, type.primary_key
					    .map((k) => record[k])))
						throw new Error('its primary key ' +
						    'is used twice');
					this.insert(record);
				} catch (e) {
					throw new Error(`fixture: ` +
					    `${typeName}[${i}]: ${e.message}`);
				}
			});
		}
		/* References are checked once everything is in. */
		for (const table of this.tables.values()) {
			for (const record of table.values()) {
				try {
					this.checkRecord(
					    TYPES[record.__entity_type__], record);
				} catch (e) {
					throw new Error('fixture: ' +
					    `${describe(record)}: ${e.message}`);
				}
			}
		}
	}

	/* Every entity of `typeName` and its subtypes, oldest first. */
	all(typeName) {
		return this.cached(`all:${typeName}`, () => {
			const list = [];
			for (const sub of typeOf(typeName).subtypes)
				list.push(...this.tables.get(sub).values());
			return list.sort((a, b) =>
			    this.order.get(a) - this.order.get(b));
		});
	}

	/* The entity of `typeName` (or a subtype) with primary key `key`. */
	get(typeName, key) {
		const type = typeOf(typeName);
		const values = {};
		const parts = Array.isArray(key) ? key : [key];
		type.primary_key.forEach((k, i) => { values[k] = parts[i]; });
		const pk = pkString(type, values);
		for (const sub of type.subtypes) {
			const record = this.tables.get(sub).get(pk);
			if (record)
				return record;
		}
		return null;
	}

	/* Entities of `typeName` whose attribute `key` equals `value`. */
	lookup(typeName, key, value) {
		const index = this.cached(`index:${typeName}:${key}`, () => {
			const map = new Map();
			for (const record of this.all(typeName)) {
				const v = record[key];
				if (v === null || v === undefined)
					continue;
				if (!map.has(v))
					map.set(v, []);
				map.get(v).push(record);
			}
			return map;
		});
		return index.get(value) || [];
	}

	cached(name, build) {
		const hit = this.cache.get(name);
		if (hit && hit.version === this.version)
			return hit.value;
		const value = build();
		this.cache.set(name, {version: this.version, value});
		return value;
	}

	/*
	 * What attribute `name` of `record` holds: a scalar, an entity or
	 * null (a ref), or an array of entities (a collection).
	 */
	resolve(record, name) {
		const attr = TYPES[record.__entity_type__].attrs[name];
		if (!attr)
			return undefined;	/* only some subtypes have it */
		if (isScalar(attr))
			return record[name] === undefined ? null : record[name];
		if (attr.computed)
			return COMPUTED[attr.computed](this, record);
		if (attr.ref) {
			const key = record[attr.key];
			return key === null || key === undefined ? null :
			    this.get(attr.ref, key);
		}
		return this.lookup(attr.coll, attr.key, record.id);
	}

	/* Run `fn` as one batch: if it throws, every write it made is undone. */
	transaction(fn) {
		this.journal = [];
		try {
			return fn();
		} catch (e) {
			/* Undo steps must not journal themselves. */
			const steps = this.journal;
			this.journal = null;
			for (const undo of steps.reverse())
				undo();
			throw e;
		} finally {
			this.journal = null;
		}
	}

	insert(record) {
		const table = this.tables.get(record.__entity_type__);
		table.set(pkString(TYPES[record.__entity_type__], record),
		    record);
		this.order.set(record, ++this.inserted);
		this.version++;
		if (this.journal)
			this.journal.push(() => this.remove(record));
	}

	remove(record) {
		const table = this.tables.get(record.__entity_type__);
		table.delete(pkString(TYPES[record.__entity_type__], record));
		this.version++;
		if (this.journal)
			this.journal.push(() => {
				table.set(pkString(TYPES[record.__entity_type__],
				    record), record);
				this.version++;
			});
	}

	assign(record, values) {
		const before = {};
		for (const k of Object.keys(values))
			before[k] = record[k];
		Object.assign(record, values);
		this.version++;
		if (this.journal)
			this.journal.push(() => {
				Object.assign(record, before);
				this.version++;
			});
	}

	/* create: returns the new record. */
	create(typeName, data) {
		const type = typeOf(typeName);
		if (type.abstract)
			throw new FtrackError('ValidationError', `Cannot create ` +
			    `a "${typeName}": it is an abstract type; use one ` +
			    `of ${type.subtypes.filter((s) =>
				!TYPES[s].abstract).join(', ')}.`);
		const record = this.prepare(type, data);
		if (this.get(typeName, type.primary_key.map((k) => record[k])))
			throw new FtrackError('ServerError', `Duplicate entry: ` +
			    `${typeName} ${pkString(type, record)} exists.`);
		if (record.created_at === null && type.attrs.created_at)
			record.created_at = nowDatetime();
		this.checkRecord(type, record);
		this.insert(record);
		return record;
	}

	/* update: returns {record, changes: {attr: {old, new}}}. */
	update(typeName, key, data) {
		const record = this.mustGet(typeName, key);
		const type = TYPES[record.__entity_type__];
		const values = this.decode(type, data);
		const changes = {};
		for (const [k, v] of Object.entries(values)) {
			const old = record[k] === undefined ? null : record[k];
			if (old === v)
				continue;
			if (type.primary_key.includes(k) ||
			    type.immutable.includes(k))
				throw new FtrackError('ValidationError',
				    `${type.name}.${k} is immutable.`);
			changes[k] = {old, new: v};
		}
		if (changes.status && type.name === 'Job' &&
		    ['done', 'failed'].includes(values.status) &&
		    !('finished_at' in values)) {
			values.finished_at = nowDatetime();
			changes.finished_at = {old: record.finished_at,
			    new: values.finished_at};
		}
		const copy = {...record, ...values};
		this.checkRecord(type, copy, record);
		this.assign(record, values);
		return {record, changes};
	}

	/* delete: returns every record removed, cascades included. */
	delete(typeName, key) {
		const record = this.mustGet(typeName, key);
		const removed = [];
		this.deleteRecord(record, removed, [record]);
		return removed;
	}

	deleteRecord(record, removed, path) {
		for (const [type, name, attr] of referrers(record)) {
			for (const other of this.lookup(type, attr.key,
			    record.id)) {
				if (other === record)
					continue;
				if (!attr.cascade)
					throw new FtrackError('ServerError',
					    `Cannot delete ${describe(path[0])}:` +
					    ` ${describe(other)} refers to it ` +
					    `(${name}).`);
				if (!removed.includes(other))
					this.deleteRecord(other, removed,
					    path.concat(other));
			}
		}
		if (!removed.includes(record)) {
			this.remove(record);
			removed.push(record);
		}
	}

	mustGet(typeName, key) {
		typeOf(typeName);
		const record = this.get(typeName, key);
		if (!record)
			throw new FtrackError('NoResultFoundError',
			    `No ${typeName} with key ${JSON.stringify(key)}.`,
			    404);
		return record;
	}

	/* A new record from input data: decoded, defaults and id filled. */
	prepare(type, data) {
		if (data === null || typeof data !== 'object' ||
		    Array.isArray(data))
			throw new FtrackError('ValidationError',
			    `entity_data for ${type.name} must be an object.`);
		const entityType = data.__entity_type__;
		if (entityType !== undefined && entityType !== type.name)
			throw new FtrackError('ValidationError', `entity_data ` +
			    `has __entity_type__ "${entityType}", expected ` +
			    `"${type.name}".`);
		const record = {__entity_type__: type.name};
		for (const name of Object.keys(type.attrs)) {
			if (isScalar(type.attrs[name]))
				record[name] = null;
		}
		Object.assign(record, structuredClone(type.defaults),
		    this.decode(type, data));
		if (type.attrs.id && !record.id)
			record.id = crypto.randomUUID();
		return record;
	}

	/* Input attributes -> stored values, with relationship references
	 * turned into their keys (§1.6 create). */
	decode(type, data) {
		const out = {};
		for (const [name, raw] of Object.entries(data)) {
			if (name === '__entity_type__')
				continue;
			const attr = type.attrs[name];
			if (!attr)
				throw new FtrackError('ValidationError',
				    `${type.name} has no attribute "${name}".`);
			if (isScalar(attr)) {
				out[name] = decodeScalar(type, name, attr, raw);
			} else if (attr.ref && !attr.computed) {
				out[attr.key] = this.decodeRef(type, name, attr,
				    raw);
			} else {
				throw new FtrackError('ValidationError',
				    `${type.name}.${name} cannot be set ` +
				    `(set the other side's key instead).`);
			}
		}
		return out;
	}

	decodeRef(type, name, attr, raw) {
		if (raw === null)
			return null;
		if (typeof raw !== 'object' || typeof raw.id !== 'string')
			throw new FtrackError('ValidationError',
			    `${type.name}.${name} must be an entity ` +
			    `reference {"__entity_type__": ..., "id": ...}.`);
		const target = raw.__entity_type__;
		if (target !== undefined &&
		    (!TYPES[target] || !TYPES[attr.ref].subtypes.includes(target)))
			throw new FtrackError('ValidationError',
			    `${type.name}.${name} must refer to a ${attr.ref}, ` +
			    `not a ${target}.`);
		return raw.id;
	}

	/* Required attributes, enums, references and unique keys of a record
	 * as it would be stored; `self` is the record being updated. */
	checkRecord(type, record, self = record) {
		for (const k of [...type.primary_key, ...type.required]) {
			if (record[k] === null || record[k] === undefined ||
			    record[k] === '')
				throw new FtrackError('ValidationError',
				    `${type.name}.${k} is required.`);
		}
		for (const [k, allowed] of Object.entries(type.enums)) {
			if (record[k] !== null && !allowed.includes(record[k]))
				throw new FtrackError('ValidationError',
				    `${type.name}.${k} must be one of ` +
				    `${allowed.join(', ')}, not ` +
				    `${JSON.stringify(record[k])}.`);
		}
		for (const [name, attr] of Object.entries(type.attrs)) {
			if (isScalar(attr) || !attr.ref || attr.computed)
				continue;
			const key = record[attr.key];
			if (key !== null && key !== undefined &&
			    !this.get(attr.ref, key))
				throw new FtrackError('ValidationError',
				    `${type.name}.${attr.key}: no ${attr.ref} ` +
				    `with id "${key}" (${name}).`);
		}
		for (const keys of type.unique) {
			const root = rootType(type);
			const clash = this.all(root).find((other) =>
			    other !== self && keys.every((k) =>
			    other[k] === record[k]));
			if (clash)
				throw new FtrackError('ServerError',
				    `Duplicate entry: a ${type.name} with ` +
				    keys.map((k) => `${k} "${record[k]}"`)
				    .join(' and ') + ' exists.');
		}
	}
}

function rootType(type) {
	let t = type;
	while (t.base)
		t = TYPES[t.base];
	return t.name;
}

function describe(record) {
	return `${record.__entity_type__} ` +
	    `${pkString(TYPES[record.__entity_type__], record)}`;
}

/* [referring type, attribute name, attribute] for every relationship that
 * can point at `record`. */
function referrers(record) {
	const out = [];
	for (const type of Object.values(TYPES)) {
		for (const [name, attr] of Object.entries(type.attrs)) {
			if (isScalar(attr) || !attr.ref || attr.computed)
				continue;
			/* Declared on the base type: checked there once. */
			if (type.base && TYPES[type.base].attrs[name] === attr)
				continue;
			if (TYPES[attr.ref].subtypes.includes(
			    record.__entity_type__))
				out.push([type.name, name, attr]);
		}
	}
	return out;
}

function decodeScalar(type, name, kind, raw) {
	const where = `${type.name}.${name}`;
	if (raw === null)
		return null;
	switch (kind) {
	case 'datetime': {
		const value = raw && typeof raw === 'object' ? raw.value : raw;
		const out = normaliseDatetime(value);
		if (out === null)
			throw new FtrackError('ValidationError', `${where}: ` +
			    `${JSON.stringify(raw)} is not a date-time.`);
		return out;
	}
	case 'integer':
		if (!Number.isInteger(raw))
			throw new FtrackError('ValidationError',
			    `${where} must be an integer, not ` +
			    `${JSON.stringify(raw)}.`);
		return raw;
	case 'number':
		if (typeof raw !== 'number')
			throw new FtrackError('ValidationError',
			    `${where} must be a number.`);
		return raw;
	case 'boolean':
		if (typeof raw !== 'boolean')
			throw new FtrackError('ValidationError',
			    `${where} must be true or false.`);
		return raw;
	case 'string':
		if (typeof raw !== 'string')
			throw new FtrackError('ValidationError',
			    `${where} must be a string, not ` +
			    `${JSON.stringify(raw)}.`);
		return raw;
	default:
		return structuredClone(raw);
	}
}

/* Attributes derived on read. */
const COMPUTED = {
	/* Project first, the entity itself last (§4.1). */
	link(store, record) {
		if (record.__entity_type__ === 'AssetVersion') {
			const asset = store.get('Asset', record.asset_id);
			const parent = asset && store.get('Context',
			    asset.context_id);
			const head = parent ? COMPUTED.link(store, parent) : [];
			return head.concat({id: record.id, type: 'AssetVersion',
			    name: `${asset ? asset.name : ''} ` +
			    `v${String(record.version).padStart(3, '0')}`});
		}
		const chain = [];
		for (let c = record; c; c = c.parent_id ?
		    store.get('Context', c.parent_id) : null) {
			chain.unshift({id: c.id, name: c.name,
			    type: c.__entity_type__ === 'Project' ?
			    'Project' : 'TypedContext'});
		}
		return chain;
	},
	/* The typed contexts above, nearest last; the project is not one. */
	ancestors(store, record) {
		const out = [];
		for (let c = store.get('Context', record.parent_id); c;
		    c = c.parent_id ? store.get('Context', c.parent_id) : null) {
			if (c.__entity_type__ !== 'Project')
				out.unshift(c);
		}
		return out;
	},
	descendants(store, record) {
		const out = [];
		const walk = (id) => {
			for (const child of store.lookup('TypedContext',
			    'parent_id', id)) {
				out.push(child);
				walk(child.id);
			}
		};
		walk(record.id);
		return out;
	},
	assignments(store, record) {
		return store.lookup('Appointment', 'context_id', record.id)
		    .filter((a) => a.type === 'assignment');
	},
	latest_version(store, record) {
		let best = null;
		for (const v of store.lookup('AssetVersion', 'asset_id',
		    record.id)) {
			if (!best || v.version > best.version)
				best = v;
		}
		return best;
	},
	is_latest_version(store, record) {
		const asset = store.get('Asset', record.asset_id);
		return !!asset &&
		    COMPUTED.latest_version(store, asset) === record;
	},
};

module.exports = {Store, FtrackError, typeOf, normaliseDatetime, findAttr};
