'use strict';
/*
 * ftrack's query language (§1.9): a parser that reports where it failed,
 * checks every attribute path against the schema, and an evaluator that
 * runs the query over the store and encodes the rows as ftrack does
 * (§1.6 query, §1.7, §1.8).
 */
const {TYPES, isScalar, findAttr} = require('./schema.js');
const {FtrackError, typeOf, normaliseDatetime} = require('./store.js');

const COMPARISONS = {
	'=': 'is', 'is': 'is', '!=': 'is_not', 'is_not': 'is_not',
	'>': '>', 'after': '>', 'greater_than': '>',
	'<': '<', 'before': '<', 'less_than': '<',
	'>=': '>=', '<=': '<=', 'like': 'like', 'not_like': 'not_like',
};
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /^-?\d+(\.\d+)?$/;

class Parser {
	constructor(text) {
		this.text = text;
		this.pos = 0;
	}

	fail(what) {
		const near = this.text.slice(this.pos, this.pos + 20);
		throw new FtrackError('ParseError', `Failed to parse: ` +
		    `${this.text} (at position ${this.pos}: ${what}` +
		    (near ? `, near "${near}")` : ', at the end)'));
	}

	skipSpace() {
		while (this.pos < this.text.length &&
		    /\s/.test(this.text[this.pos]))
			this.pos++;
	}

	atEnd() {
		this.skipSpace();
		return this.pos >= this.text.length;
	}

	/* The next identifier, lower-cased, without consuming it. */
	peekWord() {
		this.skipSpace();
		IDENT.lastIndex = this.pos;
		const m = IDENT.exec(this.text);
		return m ? m[0].toLowerCase() : null;
	}

	acceptWord(word) {
		if (this.peekWord() !== word)
			return false;
		this.pos += word.length;
		return true;
	}

	expectWord(word) {
		if (!this.acceptWord(word))
			this.fail(`expected "${word}"`);
	}

	accept(symbol) {
		this.skipSpace();
		if (!this.text.startsWith(symbol, this.pos))
			return false;
		this.pos += symbol.length;
		return true;
	}

	expect(symbol) {
		if (!this.accept(symbol))
			this.fail(`expected "${symbol}"`);
	}

	ident(what) {
		this.skipSpace();
		IDENT.lastIndex = this.pos;
		const m = IDENT.exec(this.text);
		if (!m)
			this.fail(`expected ${what}`);
		this.pos += m[0].length;
		return m[0];
	}

	/* name[Cast].name... ; positions are kept for error messages. */
	path() {
		const segments = [];
		this.skipSpace();
		const start = this.pos;
		for (;;) {
			const name = this.ident('an attribute name');
			let cast = null;
			if (this.text[this.pos] === '[') {
				this.pos++;
				cast = this.ident('a type name');
				this.expect(']');
			}
			segments.push({name, cast});
			if (this.text[this.pos] !== '.')
				break;
			this.pos++;
		}
		return {segments, start, text: this.text.slice(start, this.pos)};
	}

	/* A quoted string, a number, true/false, none, or a bare token. */
	value() {
		this.skipSpace();
		const quote = this.text[this.pos];
		if (quote === '"' || quote === "'") {
			let out = '';
			for (this.pos++; this.pos < this.text.length;
			    this.pos++) {
				const c = this.text[this.pos];
				if (c === quote) {
					this.pos++;
					return {kind: 'string', raw: out};
				}
				if (c === '\\' && this.pos + 1 < this.text.length)
					this.pos++;
				out += this.text[this.pos];
			}
			this.fail('unterminated string');
		}
		const m = /[^\s(),"']+/y;
		m.lastIndex = this.pos;
		const found = m.exec(this.text);
		if (!found)
			this.fail('expected a value');
		this.pos += found[0].length;
		const raw = found[0];
		const lower = raw.toLowerCase();
		if (lower === 'none' || lower === 'null')
			return {kind: 'null', raw};
		if (lower === 'true' || lower === 'false')
			return {kind: 'boolean', raw, value: lower === 'true'};
		if (NUMBER.test(raw))
			return {kind: 'number', raw, value: Number(raw)};
		return {kind: 'string', raw};
	}

	query() {
		const q = {select: null, type: null, where: null, order: [],
		    offset: 0, limit: null};
		if (this.acceptWord('select')) {
			q.select = [this.path()];
			while (this.accept(','))
				q.select.push(this.path());
			this.expectWord('from');
		}
		q.typeAt = (this.skipSpace(), this.pos);
		q.type = this.ident('an entity type');
		if (this.acceptWord('where'))
			q.where = this.criteria();
		const seen = new Set();
		while (!this.atEnd()) {
			const word = this.peekWord();
			if (seen.has(word) || !['order', 'offset', 'limit']
			    .includes(word))
				this.fail('expected "order by", "offset", ' +
				    '"limit" or the end');
			seen.add(word);
			this.pos += word.length;
			if (word === 'order') {
				this.expectWord('by');
				do {
					const path = this.path();
					const desc = this.acceptWord(
					    'descending');
					if (!desc)
						this.acceptWord('ascending');
					q.order.push({path, desc});
				} while (this.accept(','));
			} else {
				const v = this.value();
				if (v.kind !== 'number' ||
				    !Number.isInteger(v.value) || v.value < 0)
					this.fail(`${word} needs a whole number`);
				q[word] = v.value;
			}
		}
		return q;
	}

	criteria() {
		const items = [this.conjunction()];
		while (this.acceptWord('or'))
			items.push(this.conjunction());
		return items.length === 1 ? items[0] : {op: 'or', items};
	}

	conjunction() {
		const items = [this.unary()];
		while (this.acceptWord('and'))
			items.push(this.unary());
		return items.length === 1 ? items[0] : {op: 'and', items};
	}

	unary() {
		if (this.acceptWord('not'))
			return {op: 'not', item: this.unary()};
		if (this.accept('(')) {
			const inner = this.criteria();
			this.expect(')');
			return inner;
		}
		return this.condition();
	}

	condition() {
		const path = this.path();
		this.skipSpace();
		for (const sym of ['!=', '>=', '<=', '=', '>', '<']) {
			if (this.accept(sym))
				return {op: 'cmp', cmp: COMPARISONS[sym], path,
				    value: this.value()};
		}
		let word = this.peekWord();
		if (word === null || !(word in COMPARISONS ||
		    ['in', 'not_in', 'has', 'any', 'not'].includes(word)))
			this.fail(`expected an operator after "${path.text}"`);
		this.pos += word.length;
		if (word === 'not') {
			/* "not in" and "not like", spelt as two words. */
			word = this.peekWord();
			if (word !== 'in' && word !== 'like')
				this.fail('expected "in" or "like" after "not"');
			this.pos += word.length;
			word = `not_${word}`;
		}
		if (word in COMPARISONS)
			return {op: 'cmp', cmp: COMPARISONS[word], path,
			    value: this.value()};
		this.expect('(');
		let node;
		if (word === 'has' || word === 'any') {
			node = {op: word, path, criteria: this.accept(')') ?
			    null : this.criteria()};
			if (node.criteria)
				this.expect(')');
			return node;
		}
		node = {op: 'in', negate: word === 'not_in', path};
		if (this.peekWord() === 'select') {
			this.pos += 6;
			node.subquery = {select: [this.path()]};
			this.expectWord('from');
			node.subquery.typeAt = (this.skipSpace(), this.pos);
			node.subquery.type = this.ident('an entity type');
			if (this.acceptWord('where'))
				node.subquery.where = this.criteria();
		} else {
			node.values = [];
			if (this.text[(this.skipSpace(), this.pos)] !== ')') {
				do {
					node.values.push(this.value());
				} while (this.accept(','));
			}
		}
		this.expect(')');
		return node;
	}
}

/*
 * Static checks: the type exists and every path names attributes that
 * exist. Annotates each path with the kind of what it ends on.
 */
function checkPath(typeName, path, want, text) {
	let type = TYPES[typeName];
	let attr = null;
	path.segments.forEach((seg, i) => {
		attr = findAttr(type, seg.name);
		const where = `"${path.text}" (at position ${path.start})`;
		if (!attr)
			throw new FtrackError('ServerError', `${type.name} has ` +
			    `no attribute "${seg.name}" in ${where} of: ${text}`);
		const target = isScalar(attr) ? null : (attr.ref || attr.coll);
		if (seg.cast) {
			if (!target || !TYPES[seg.cast] ||
			    !TYPES[target].subtypes.includes(seg.cast))
				throw new FtrackError('ServerError', `Cannot ` +
				    `cast ${seg.name} to ${seg.cast} in ${where}.`);
		}
		if (i < path.segments.length - 1 && !target)
			throw new FtrackError('ServerError', `"${seg.name}" is ` +
			    `not a relationship in ${where} of: ${text}`);
		if (target)
			type = TYPES[seg.cast || target];
	});
	path.kind = isScalar(attr) ? attr :
	    attr.coll ? 'collection' : attr.ref ? 'ref' : attr.type;
	if (want === 'scalar' && (path.kind === 'collection' ||
	    path.kind === 'ref'))
		throw new FtrackError('ServerError', `"${path.text}" is a ` +
		    `relationship; compare one of its attributes, or use ` +
		    `"has" / "any" (in: ${text}).`);
	if (want === 'has' && path.kind !== 'ref')
		throw new FtrackError('ServerError', `"has" needs a single ` +
		    `relationship; "${path.text}" is not one (use "any" for ` +
		    `collections) in: ${text}`);
	if (want === 'any' && path.kind !== 'collection')
		throw new FtrackError('ServerError', `"any" needs a ` +
		    `collection; "${path.text}" is not one (use "has") in: ` +
		    `${text}`);
	return type;
}

function checkType(name, at, text) {
	if (!Object.prototype.hasOwnProperty.call(TYPES, name))
		throw new FtrackError('ServerError', `Unknown entity type ` +
		    `"${name}" (at position ${at}) in: ${text}`);
}

function checkCriteria(typeName, node, text) {
	switch (node.op) {
	case 'and': case 'or':
		node.items.forEach((n) => checkCriteria(typeName, n, text));
		break;
	case 'not':
		checkCriteria(typeName, node.item, text);
		break;
	case 'has': case 'any': {
		const target = checkPath(typeName, node.path, node.op, text);
		if (node.criteria)
			checkCriteria(target.name, node.criteria, text);
		break;
	}
	case 'in':
		checkPath(typeName, node.path, 'scalar', text);
		if (node.subquery)
			checkQuery(node.subquery, text, true);
		break;
	default:
		checkPath(typeName, node.path, 'scalar', text);
	}
}

/* A sub-query selects one scalar; the top query may select anything. */
function checkQuery(q, text, isSubquery) {
	checkType(q.type, q.typeAt, text);
	for (const p of q.select || [])
		checkPath(q.type, p, isSubquery ? 'scalar' : 'any-kind', text);
	if (q.where)
		checkCriteria(q.type, q.where, text);
	for (const o of q.order || [])
		checkPath(q.type, o.path, 'scalar', text);
}

function parse(text) {
	if (typeof text !== 'string' || !text.trim())
		throw new FtrackError('ParseError',
		    'Failed to parse: the expression is empty.');
	const p = new Parser(text);
	const q = p.query();
	checkQuery(q, text, false);
	return q;
}

/* ---- evaluation ---- */

/* Everything `path` reaches from `record`: scalars (null when a ref on
 * the way is empty), or entities for a relationship path. */
function reach(store, record, path) {
	let values = [record];
	for (const seg of path.segments) {
		const next = [];
		for (const v of values) {
			if (v === null) {
				next.push(null);
				continue;
			}
			const got = store.resolve(v, seg.name);
			if (Array.isArray(got) && got.every(isEntity))
				next.push(...got);
			else
				next.push(got === undefined ? null : got);
		}
		values = seg.cast ? next.filter((e) => e === null ||
		    TYPES[seg.cast].subtypes.includes(e.__entity_type__)) : next;
	}
	return values;
}

function isEntity(v) {
	return v !== null && typeof v === 'object' && '__entity_type__' in v;
}

/* Strings compare without case, as ftrack's database does. */
function fold(v) {
	return typeof v === 'string' ? v.toLowerCase() : v;
}

/* The query value as the attribute's kind, or undefined if it cannot
 * be one. */
function coerce(kind, value) {
	if (value.kind === 'null')
		return null;
	switch (kind) {
	case 'integer': case 'number':
		return value.kind === 'number' ? value.value :
		    NUMBER.test(value.raw) ? Number(value.raw) : undefined;
	case 'boolean':
		return value.kind === 'boolean' ? value.value : undefined;
	case 'datetime': {
		const d = normaliseDatetime(value.raw);
		return d === null ? undefined : d;
	}
	default:
		return value.raw;
	}
}

function likeRegExp(pattern) {
	const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
	    .replace(/%/g, '.*').replace(/_/g, '.');
	return new RegExp(`^${body}$`, 'is');
}

function compare(cmp, candidate, want, kind) {
	if (cmp === 'like' || cmp === 'not_like') {
		const hit = candidate !== null &&
		    likeRegExp(String(want)).test(String(candidate));
		return cmp === 'like' ? hit : !hit;
	}
	if (want === undefined)
		return cmp === 'is_not';
	if (cmp === 'is')
		return fold(candidate) === fold(want);
	if (cmp === 'is_not')
		return fold(candidate) !== fold(want);
	if (candidate === null || want === null)
		return false;
	const a = kind === 'string' ? fold(candidate) : candidate;
	const b = kind === 'string' ? fold(want) : want;
	switch (cmp) {
	case '>': return a > b;
	case '<': return a < b;
	case '>=': return a >= b;
	default: return a <= b;
	}
}

function matches(ctx, node, record) {
	switch (node.op) {
	case 'and':
		return node.items.every((n) => matches(ctx, n, record));
	case 'or':
		return node.items.some((n) => matches(ctx, n, record));
	case 'not':
		return !matches(ctx, node.item, record);
	case 'has': case 'any':
		return reach(ctx.store, record, node.path).some((e) =>
		    e !== null && (!node.criteria ||
		    matches(ctx, node.criteria, e)));
	case 'in': {
		const set = inSet(ctx, node);
		const hit = reach(ctx.store, record, node.path).some((v) =>
		    set.has(fold(v)));
		return node.negate ? !hit : hit;
	}
	default: {
		const want = node.cmp === 'like' || node.cmp === 'not_like' ?
		    node.value.raw : coerce(node.path.kind, node.value);
		return reach(ctx.store, record, node.path).some((v) =>
		    compare(node.cmp, v, want, node.path.kind));
	}
	}
}

/* The values of an "in" list, or of its sub-query (run once). */
function inSet(ctx, node) {
	if (!ctx.sets.has(node)) {
		let values;
		if (node.subquery) {
			const rows = run(ctx.store, node.subquery).rows;
			values = rows.flatMap((r) =>
			    reach(ctx.store, r, node.subquery.select[0]));
		} else {
			values = node.values.map((v) =>
			    coerce(node.path.kind, v));
		}
		ctx.sets.set(node, new Set(values.map(fold)));
	}
	return ctx.sets.get(node);
}

function run(store, q) {
	const ctx = {store, sets: new Map()};
	let rows = store.all(q.type);
	if (q.where)
		rows = rows.filter((r) => matches(ctx, q.where, r));
	if (q.order && q.order.length)
		rows = sortRows(store, rows, q.order);
	return {rows};
}

function sortKey(store, record, path) {
	const v = reach(store, record, path)[0];
	return v === undefined ? null : fold(v);
}

function sortRows(store, rows, order) {
	const keyed = rows.map((r) => ({r, keys: order.map((o) =>
	    sortKey(store, r, o.path))}));
	keyed.sort((x, y) => {
		for (let i = 0; i < order.length; i++) {
			const a = x.keys[i];
			const b = y.keys[i];
			if (a === b)
				continue;
			/* Nulls first, ascending. */
			const lt = a === null || (b !== null && a < b);
			return (lt ? -1 : 1) * (order[i].desc ? -1 : 1);
		}
		return 0;
	});
	return keyed.map((k) => k.r);
}

/* ---- encoding ---- */

function encodeScalar(kind, value) {
	if (kind === 'datetime' && value !== null)
		return {__type__: 'datetime', value};
	return value === undefined ? null : value;
}

/* A projection list as a tree: {attr: {subattr: {}}}. */
function projectionTree(paths) {
	const tree = {};
	for (const p of paths) {
		let node = tree;
		for (const seg of p.segments)
			node = node[seg.name] = node[seg.name] || {};
	}
	return tree;
}

/* An entity as the server sends it: type, primary key, system
 * projections, then what was selected (nested for relationships). */
function encodeEntity(store, record, tree) {
	const type = TYPES[record.__entity_type__];
	const out = {__entity_type__: type.name};
	for (const k of type.primary_key)
		out[k] = record[k];
	for (const k of type.projections.system || []) {
		if (isScalar(type.attrs[k] || {}))
			out[k] = encodeScalar(type.attrs[k], record[k]);
	}
	for (const [name, sub] of Object.entries(tree)) {
		const attr = type.attrs[name];
		if (!attr)
			continue;	/* an attribute of another subtype */
		const value = store.resolve(record, name);
		if (isScalar(attr))
			out[name] = encodeScalar(attr, value);
		else if (attr.coll)
			out[name] = value.map((e) =>
			    encodeEntity(store, e, sub));
		else if (attr.ref)
			out[name] = value ? encodeEntity(store, value, sub) :
			    null;
		else
			out[name] = value;
	}
	return out;
}

/* Every stored attribute: the answer to create and update, and what the
 * /_double/entities hook lists. */
function encodeStored(record) {
	const type = TYPES[record.__entity_type__];
	const out = {__entity_type__: type.name};
	for (const [name, attr] of Object.entries(type.attrs)) {
		if (isScalar(attr))
			out[name] = encodeScalar(attr, record[name] === undefined ?
			    null : record[name]);
	}
	return out;
}

/* The "query" action: rows for one page and the offset of the next. */
function query(store, text) {
	const q = parse(text);
	const rows = run(store, q).rows;
	const tree = projectionTree(q.select ||
	    TYPES[q.type].projections.default.map((name) =>
		({segments: [{name}]})));
	const end = q.limit === null ? rows.length :
	    Math.min(rows.length, q.offset + q.limit);
	const page = rows.slice(q.offset, end);
	return {
		action: 'query',
		data: page.map((r) => encodeEntity(store, r, tree)),
		metadata: {next: {offset: end < rows.length ? end : null}},
	};
}

module.exports = {parse, query, encodeStored, encodeEntity, typeOf};
