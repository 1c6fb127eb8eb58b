'use strict';
/*
 * De-duplicated answers, as the ftrack server sends them unless a request
 * asks otherwise (§1.7; the shape of ftrack's own captured answers: in a
 * version's asset.versions, the version itself is only
 * {"__entity_type__", "id"}). Over a whole batch, each entity goes out in
 * full once, at the first place it appears, carrying every attribute the
 * batch loaded for it anywhere; every other place gets only its type and
 * primary key. So a later query of the batch may get nothing but
 * references to what an earlier one sent.
 *
 * The header `ftrack-api-options: strict:1;denormalize:1` asks for whole
 * answers instead (ftrack's JavaScript client sends it with
 * ensureSerializableResponse); an older server ignores it, and so does
 * the double when told to (README.md).
 */
const {TYPES} = require('./schema.js');

function isPlainObject(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/* The primary key attributes of an entity object, or null. */
function primaryKey(o) {
	if (!isPlainObject(o) || typeof o.__entity_type__ !== 'string')
		return null;
	const type = TYPES[o.__entity_type__];
	const pk = type ? type.primary_key : ['id'];
	return pk.every((k) => o[k] !== undefined && o[k] !== null) ? pk :
	    null;
}

function identity(o, pk) {
	return JSON.stringify([o.__entity_type__, ...pk.map((k) => o[k])]);
}

/* Every attribute each entity carries anywhere: {identity: {attr: v}}. */
function gather(value, union) {
	if (Array.isArray(value)) {
		for (const v of value)
			gather(v, union);
		return;
	}
	if (!isPlainObject(value))
		return;
	const pk = primaryKey(value);
	if (pk) {
		const id = identity(value, pk);
		const all = union.get(id) || {};
		for (const [k, v] of Object.entries(value)) {
			if (!(k in all) || (all[k] === null && v !== null))
				all[k] = v;
		}
		union.set(id, all);
	}
	for (const v of Object.values(value))
		gather(v, union);
}

function emit(value, union, sent) {
	if (Array.isArray(value))
		return value.map((v) => emit(v, union, sent));
	if (!isPlainObject(value))
		return value;
	const pk = primaryKey(value);
	if (!pk) {
		const out = {};
		for (const [k, v] of Object.entries(value))
			out[k] = emit(v, union, sent);
		return out;
	}
	const id = identity(value, pk);
	const ref = {__entity_type__: value.__entity_type__};
	for (const k of pk)
		ref[k] = value[k];
	if (sent.has(id))
		return ref;
	/* Marked before its attributes: a reference to itself inside them
	 * (a version in its asset's versions) is only a reference. */
	sent.add(id);
	const out = ref;
	for (const [k, v] of Object.entries(union.get(id))) {
		if (!(k in out))
			out[k] = emit(v, union, sent);
	}
	return out;
}

/* The results of a batch, de-duplicated across all of them. */
function dedupe(results) {
	const union = new Map();
	gather(results, union);
	return emit(results, union, new Set());
}

/* Whether a request's ftrack-api-options header asks for whole answers. */
function wantsDenormalized(header) {
	if (typeof header !== 'string')
		return false;
	return header.split(';').some((part) => {
		const [k, v] = part.split(':').map((s) => s.trim());
		return k === 'denormalize' && v === '1';
	});
}

module.exports = {dedupe, wantsDenormalized};
