'use strict';
/*
 * The entity types the double knows: their attributes, relationships,
 * primary keys and projections, and how they are listed by
 * `query_schemas`. Shapes follow ftrack's (see
 * /work/shared/reference/ftrack-protocol.md §1.6, §4); the property lists
 * are trimmed to what file moving needs.
 *
 * An attribute is one of:
 *   'string' | 'integer' | 'number' | 'boolean' | 'datetime' | 'object'
 *       a stored scalar ('object' is any JSON value);
 *   {ref: Type, key: attr}        one entity, found by this record's `key`;
 *   {coll: Type, key: attr}       the entities whose `key` is this id;
 *   {computed: fn, type, ...}     derived on read (see store.js).
 * A relationship marked `cascade` is deleted with the entity it points to.
 */

/* Fixed ids of the built-in locations and object types, as on every
 * ftrack server (§4.4, §4.1). */
const BUILTIN_LOCATIONS = {
	'ftrack.origin': 'ce9b348f-8809-11e3-821c-20c9d081909b',
	'ftrack.unmanaged': 'cb268ecc-8809-11e3-a7e2-20c9d081909b',
	'ftrack.review': 'cd41be70-8809-11e3-b98a-20c9d081909b',
	'ftrack.server': '3a372bde-05bc-11e4-8908-20c9d081909b',
	'ftrack.connect': '07b82a97-8cf9-11e3-9383-20c9d081909b',
};

const OBJECT_TYPE_IDS = {
	Task: '11c137c0-ee7e-4f9c-91c5-8c77cec22b2c',
	Shot: 'bad911de-3bd6-47b9-8b46-3476e237cb36',
	Sequence: 'e5139355-61da-4c8f-9db4-3abc870166bc',
	Folder: '4be63b64-5010-42fb-bf1f-428af9d638f0',
	AssetBuild: 'ab77c654-df17-11e2-b2f3-20c9d0831e59',
	Episode: 'fdccb1ef-db87-5b13-9fde-01a44509439e',
	/* A studio's own object type: ftrack gives each one a schema. */
	Environment: '6b0966d1-9f41-5b6c-a3ad-4146e9963c4e',
};

const CONTEXT = {
	id: 'string', name: 'string', context_type: 'string',
	parent_id: 'string', project_id: 'string', created_at: 'datetime',
	created_by_id: 'string', thumbnail_id: 'string',
	parent: {ref: 'Context', key: 'parent_id', cascade: true},
	project: {ref: 'Project', key: 'project_id', cascade: true},
	created_by: {ref: 'User', key: 'created_by_id'},
	children: {coll: 'Context', key: 'parent_id'},
	assets: {coll: 'Asset', key: 'context_id'},
	appointments: {coll: 'Appointment', key: 'context_id'},
	assignments: {computed: 'assignments', coll: 'Appointment'},
	link: {computed: 'link', type: 'object'},
};

const TYPED_CONTEXT = {
	object_type_id: 'string', type_id: 'string', status_id: 'string',
	priority_id: 'string', description: 'string', sort: 'number',
	bid: 'number', start_date: 'datetime', end_date: 'datetime',
	object_type: {ref: 'ObjectType', key: 'object_type_id'},
	type: {ref: 'Type', key: 'type_id'},
	status: {ref: 'Status', key: 'status_id'},
	ancestors: {computed: 'ancestors', coll: 'TypedContext'},
	descendants: {computed: 'descendants', coll: 'TypedContext'},
};

const COMPONENT = {
	id: 'string', name: 'string', file_type: 'string', size: 'integer',
	system_type: 'string', version_id: 'string', container_id: 'string',
	version: {ref: 'AssetVersion', key: 'version_id', cascade: true},
	container: {ref: 'Component', key: 'container_id', cascade: true},
	component_locations: {coll: 'ComponentLocation', key: 'component_id'},
};

const CONTEXT_PROJECTIONS = {
	default: ['context_type', 'id', 'name'],
	system: ['context_type'],
};
const COMPONENT_PROJECTIONS = {
	default: ['id', 'system_type'],
	system: ['system_type', 'version_id'],
};

/*
 * name: {base, abstract, alias_for, attrs, required, immutable,
 *        defaults, projections, primary_key}
 * Attributes and defaults are inherited from `base`.
 */
const DEFINITIONS = {
	Context: {abstract: true, attrs: CONTEXT,
	    projections: CONTEXT_PROJECTIONS, immutable: ['context_type']},
	Project: {base: 'Context', alias_for: 'Show', attrs: {
		full_name: 'string', root: 'string', status: 'string',
		is_global: 'boolean', is_private: 'boolean',
		start_date: 'datetime', end_date: 'datetime',
		descendants: {computed: 'descendants', coll: 'TypedContext'},
	    }, required: ['name', 'full_name'],
	    defaults: {context_type: 'show', status: 'active',
		is_global: false, is_private: false}},
	TypedContext: {base: 'Context', abstract: true, alias_for: 'Task',
	    attrs: TYPED_CONTEXT, projections: {default: ['context_type',
		'id', 'name'], system: ['context_type', 'object_type_id',
		'project_id']},
	    required: ['name', 'parent_id', 'project_id'],
	    defaults: {context_type: 'task'}},
	Task: {base: 'TypedContext', object_type: 'Task'},
	Shot: {base: 'TypedContext', object_type: 'Shot'},
	Sequence: {base: 'TypedContext', object_type: 'Sequence'},
	Folder: {base: 'TypedContext', object_type: 'Folder'},
	AssetBuild: {base: 'TypedContext', object_type: 'AssetBuild'},
	Episode: {base: 'TypedContext', object_type: 'Episode'},
	Environment: {base: 'TypedContext', object_type: 'Environment'},

	ObjectType: {attrs: {id: 'string', name: 'string', sort: 'integer',
	    is_leaf: 'boolean', is_taskable: 'boolean',
	    is_statusable: 'boolean', icon: 'string'}, required: ['name']},
	Type: {attrs: {id: 'string', name: 'string', color: 'string',
	    is_billable: 'boolean', sort: 'integer'}, required: ['name']},
	Status: {alias_for: 'TaskStatus', attrs: {id: 'string',
	    name: 'string', color: 'string', is_active: 'boolean',
	    sort: 'integer'}, required: ['name'],
	    defaults: {is_active: true}},

	AssetType: {attrs: {id: 'string', name: 'string', short: 'string',
	    component: 'string',
	    assets: {coll: 'Asset', key: 'type_id'}}, required: ['name']},
	Asset: {attrs: {id: 'string', name: 'string', context_id: 'string',
	    type_id: 'string',
	    parent: {ref: 'Context', key: 'context_id', cascade: true},
	    type: {ref: 'AssetType', key: 'type_id'},
	    versions: {coll: 'AssetVersion', key: 'asset_id'},
	    latest_version: {computed: 'latest_version',
		ref: 'AssetVersion'}},
	    projections: {default: ['id'], system: ['context_id']},
	    required: ['name', 'context_id']},
	AssetVersion: {attrs: {id: 'string', version: 'integer',
	    asset_id: 'string', task_id: 'string', user_id: 'string',
	    status_id: 'string', comment: 'string', date: 'datetime',
	    is_published: 'boolean', thumbnail_id: 'string',
	    asset: {ref: 'Asset', key: 'asset_id', cascade: true},
	    task: {ref: 'TypedContext', key: 'task_id'},
	    user: {ref: 'User', key: 'user_id'},
	    status: {ref: 'Status', key: 'status_id'},
	    components: {coll: 'Component', key: 'version_id'},
	    notes: {coll: 'Note', key: 'parent_id'},
	    link: {computed: 'link', type: 'object'},
	    is_latest_version: {computed: 'is_latest_version',
		type: 'boolean'}},
	    projections: {default: ['id'], system: ['asset_id']},
	    required: ['asset_id'],
	    /* One number once per asset (README: a doubt about ftrack). */
	    unique: [['asset_id', 'version']],
	    defaults: {version: 1, is_published: true, comment: ''}},

	Component: {abstract: true, attrs: COMPONENT,
	    projections: COMPONENT_PROJECTIONS, required: ['name'],
	    immutable: ['system_type'],
	    defaults: {name: 'main', size: 0, file_type: ''}},
	FileComponent: {base: 'Component',
	    defaults: {system_type: 'file'}},
	SequenceComponent: {base: 'Component', attrs: {padding: 'integer',
	    members: {coll: 'Component', key: 'container_id'}},
	    defaults: {system_type: 'sequence', padding: 0}},
	ContainerComponent: {base: 'Component', attrs: {
	    members: {coll: 'Component', key: 'container_id'}},
	    defaults: {system_type: 'container'}},

	/* A note on any entity: parent_id and parent_type name it (ftrack
	 * keeps no typed reference), author is user_id. */
	Note: {attrs: {id: 'string', content: 'string', parent_id: 'string',
	    parent_type: 'string', user_id: 'string', date: 'datetime',
	    author: {ref: 'User', key: 'user_id'}},
	    required: ['content', 'parent_id', 'parent_type']},

	Location: {attrs: {id: 'string', name: 'string', label: 'string',
	    description: 'string',
	    location_components: {coll: 'ComponentLocation',
		key: 'location_id'}},
	    required: ['name'], unique: [['name']]},
	ComponentLocation: {attrs: {id: 'string', component_id: 'string',
	    location_id: 'string', resource_identifier: 'string',
	    component: {ref: 'Component', key: 'component_id',
		cascade: true},
	    location: {ref: 'Location', key: 'location_id', cascade: true}},
	    projections: {default: ['id'],
		system: ['location_id', 'component_id']},
	    required: ['component_id', 'location_id', 'resource_identifier'],
	    unique: [['component_id', 'location_id']]},

	User: {attrs: {id: 'string', username: 'string',
	    first_name: 'string', last_name: 'string', email: 'string',
	    is_active: 'boolean', resource_type: 'string',
	    user_security_roles: {coll: 'UserSecurityRole', key: 'user_id'},
	    appointments: {coll: 'Appointment', key: 'resource_id'},
	    jobs: {coll: 'Job', key: 'user_id'}},
	    projections: {default: ['id'], system: ['resource_type']},
	    required: ['username'], unique: [['username']],
	    defaults: {is_active: true, resource_type: 'user'}},
	SecurityRole: {alias_for: 'Auth_Role', attrs: {id: 'string',
	    name: 'string', type: 'string',
	    user_security_roles: {coll: 'UserSecurityRole',
		key: 'security_role_id'}},
	    projections: {default: ['id', 'name']}, required: ['name'],
	    defaults: {type: 'PROJECT'}},
	UserSecurityRole: {alias_for: 'Auth_UserRole', attrs: {
	    id: 'string', user_id: 'string', security_role_id: 'string',
	    is_all_projects: 'boolean', is_all_open_projects: 'boolean',
	    user: {ref: 'User', key: 'user_id', cascade: true},
	    security_role: {ref: 'SecurityRole', key: 'security_role_id',
		cascade: true}},
	    projections: {default: ['id', 'user_id', 'security_role_id']},
	    required: ['user_id', 'security_role_id'],
	    defaults: {is_all_projects: true, is_all_open_projects: false}},
	Appointment: {attrs: {id: 'string', context_id: 'string',
	    resource_id: 'string', type: 'string',
	    context: {ref: 'Context', key: 'context_id', cascade: true},
	    resource: {ref: 'User', key: 'resource_id', cascade: true}},
	    required: ['context_id', 'resource_id', 'type'],
	    enums: {type: ['assignment', 'allocation']}},

	Job: {attrs: {id: 'string', status: 'string', type: 'string',
	    user_id: 'string', data: 'string', created_at: 'datetime',
	    finished_at: 'datetime',
	    user: {ref: 'User', key: 'user_id'},
	    job_components: {coll: 'JobComponent', key: 'job_id'}},
	    required: ['user_id'], immutable: ['type'],
	    enums: {status: ['queued', 'running', 'done', 'failed'],
		type: ['api_job']},
	    defaults: {status: 'queued', type: 'api_job'}},
	JobComponent: {primary_key: ['component_id', 'job_id'], attrs: {
	    component_id: 'string', job_id: 'string',
	    component: {ref: 'Component', key: 'component_id',
		cascade: true},
	    job: {ref: 'Job', key: 'job_id', cascade: true}},
	    projections: {default: ['component_id', 'job_id']},
	    required: ['component_id', 'job_id']},
};

/* Resolve inheritance once: every type gets its full attribute table. */
function build() {
	const types = {};
	const resolve = (name) => {
		if (types[name])
			return types[name];
		const def = DEFINITIONS[name];
		const base = def.base ? resolve(def.base) : null;
		const type = {
			name,
			base: def.base || null,
			abstract: !!def.abstract,
			alias_for: def.alias_for || (base && base.alias_for),
			attrs: {...(base ? base.attrs : {}), ...(def.attrs || {})},
			primary_key: def.primary_key || ['id'],
			required: [...(base ? base.required : []),
			    ...(def.required || [])],
			immutable: [...(base ? base.immutable : []),
			    ...(def.immutable || [])],
			unique: def.unique || (base ? base.unique : []),
			enums: {...(base ? base.enums : {}),
			    ...(def.enums || {})},
			defaults: {...(base ? base.defaults : {}),
			    ...(def.defaults || {})},
			projections: def.projections ||
			    (base ? base.projections : {default: ['id']}),
			subtypes: [],
		};
		if (def.object_type) {
			type.defaults.object_type_id =
			    OBJECT_TYPE_IDS[def.object_type];
			type.alias_for = {id: 'Task', classifiers:
			    {object_typeid: OBJECT_TYPE_IDS[def.object_type]}};
		}
		types[name] = type;
		return type;
	};
	for (const name of Object.keys(DEFINITIONS))
		resolve(name);
	/* A type's subtypes include itself and every descendant. */
	for (const type of Object.values(types)) {
		for (let t = type; t; t = t.base ? types[t.base] : null)
			t.subtypes.push(type.name);
	}
	return types;
}

const TYPES = build();

function isScalar(attr) {
	return typeof attr === 'string';
}

/* The attribute `name` of `type`, or of one of its subtypes (a query on a
 * base type may reach attributes only some rows have, as ftrack allows). */
function findAttr(type, name) {
	if (type.attrs[name])
		return type.attrs[name];
	for (const sub of type.subtypes) {
		if (TYPES[sub].attrs[name])
			return TYPES[sub].attrs[name];
	}
	return null;
}

function propertySchema(attr) {
	if (isScalar(attr)) {
		if (attr === 'datetime')
			return {type: 'string', format: 'date-time'};
		return {type: attr === 'object' ? 'object' : attr};
	}
	if (attr.coll)
		return {type: 'array', items: {$ref: attr.coll}};
	if (attr.ref)
		return {$ref: attr.ref};
	return {type: attr.type || 'object'};
}

/* The `query_schemas` answer: one object per type, abstract ones too (the
 * clients look up primary keys by the concrete `__entity_type__`). */
function ftrackSchemas() {
	return Object.values(TYPES).map((type) => {
		const properties = {};
		const computed = [];
		for (const [name, attr] of Object.entries(type.attrs)) {
			properties[name] = propertySchema(attr);
			if (!isScalar(attr) && attr.computed)
				computed.push(name);
			if (type.defaults[name] !== undefined)
				properties[name].default = type.defaults[name];
		}
		if (type.attrs.id)
			properties.id.default = '{uid}';
		const schema = {
			id: type.name,
			type: 'object',
			primary_key: type.primary_key,
			required: [...type.primary_key, ...type.required],
			immutable: [...type.primary_key, ...type.immutable],
			computed,
			default_projections: type.projections.default,
			properties,
		};
		if (type.projections.system)
			schema.system_projections = type.projections.system;
		if (type.alias_for)
			schema.alias_for = type.alias_for;
		return schema;
	});
}

module.exports = {
	TYPES, BUILTIN_LOCATIONS, OBJECT_TYPE_IDS, isScalar, findAttr,
	ftrackSchemas,
};
