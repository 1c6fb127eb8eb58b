'use strict';
/*
 * The event hub's subscription and target expressions (§2.8):
 *   topic=ftrack.action.launch and data.actionIdentifier=ferry.send
 *   applicationId=ftrack.client.web and user.id="<uuid>"
 * and/or/not, parentheses, = != > < >= <=, "*" at the end of a value is a
 * prefix wildcard (as the JS client does), quoted or bare values.
 * compile() throws an Error naming the position; the result has
 * match(object).
 */

const BARE = /[A-Za-z0-9\-_,./*@+]+/y;
const FIELD = /[A-Za-z0-9_.]+/y;

function compile(text) {
	if (typeof text !== 'string')
		throw new Error('the expression must be a string');
	let pos = 0;
	const fail = (what) => {
		throw new Error(`bad expression at position ${pos}: ${what} ` +
		    `in "${text}"`);
	};
	const space = () => {
		while (pos < text.length && /\s/.test(text[pos]))
			pos++;
	};
	/* A keyword only when followed by a non-field character. */
	const keyword = (word) => {
		space();
		const s = text.slice(pos, pos + word.length).toLowerCase();
		if (s !== word || /[A-Za-z0-9_.]/.test(text[pos + word.length] ||
		    ''))
			return false;
		pos += word.length;
		return true;
	};
	const token = (re, what) => {
		space();
		re.lastIndex = pos;
		const m = re.exec(text);
		if (!m)
			fail(`expected ${what}`);
		pos += m[0].length;
		return m[0];
	};
	const value = () => {
		space();
		const q = text[pos];
		if (q === '"' || q === "'") {
			const end = text.indexOf(q, pos + 1);
			if (end < 0)
				fail('unterminated string');
			const s = text.slice(pos + 1, end);
			pos = end + 1;
			return s;
		}
		return token(BARE, 'a value');
	};
	const condition = () => {
		const field = token(FIELD, 'a field name');
		space();
		const op = ['!=', '>=', '<=', '=', '>', '<'].find((o) =>
		    text.startsWith(o, pos));
		if (!op)
			fail(`expected an operator after "${field}"`);
		pos += op.length;
		return conditionMatcher(field.split('.'), op, value());
	};
	let or;
	const unary = () => {
		if (keyword('not')) {
			const inner = unary();
			return (o) => !inner(o);
		}
		space();
		if (text[pos] === '(') {
			pos++;
			const inner = or();
			space();
			if (text[pos] !== ')')
				fail('expected ")"');
			pos++;
			return inner;
		}
		return condition();
	};
	const and = () => {
		const items = [unary()];
		while (keyword('and'))
			items.push(unary());
		return items.length === 1 ? items[0] :
		    (o) => items.every((f) => f(o));
	};
	or = () => {
		const items = [and()];
		while (keyword('or'))
			items.push(and());
		return items.length === 1 ? items[0] :
		    (o) => items.some((f) => f(o));
	};
	const match = or();
	space();
	if (pos < text.length)
		fail('unexpected text');
	return {text, match};
}

/* Scalars compare as strings (a bare 5 is "5"); numbers compare as numbers
 * for the ordering operators when both sides are numeric. */
function conditionMatcher(keys, op, want) {
	return (object) => {
		let v = object;
		for (const k of keys) {
			if (v === null || typeof v !== 'object' || !(k in v))
				return false;
			v = v[k];
		}
		if (v === null || typeof v === 'object')
			return false;
		const have = String(v);
		switch (op) {
		case '=':
			return want.endsWith('*') ?
			    have.startsWith(want.slice(0, -1)) : have === want;
		case '!=':
			return have !== want;
		default: {
			const numeric = have.trim() !== '' && want.trim() !== '' &&
			    !isNaN(Number(have)) && !isNaN(Number(want));
			const a = numeric ? Number(have) : have;
			const b = numeric ? Number(want) : want;
			return op === '>' ? a > b : op === '<' ? a < b :
			    op === '>=' ? a >= b : a <= b;
		}
		}
	};
}

module.exports = {compile};
