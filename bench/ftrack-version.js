'use strict';
/*
 * The ftrack benchmarks' asset, for bench/ftrack and bench/ftrack-listener:
 * writes the REST batch (for ftrack/tools/ftrack-query --batch) that makes an
 * asset "benchplate" on sh010 of the double's fixture with two versions,
 * each an N-frame sequence "main" (members made without a version, as
 * ftrack's Python client makes them) and a movie "reference", all in hq
 * and v001 also in la. Prints v002's id.
 *
 *   node bench/ftrack-version.js FRAMES OUT [HQ_ROOT LA_ROOT]
 *
 * The files are HQ_ROOT/demo/sq010/sh010/benchplate/v00N/main.NNNN.exr and
 * .../reference.mov, and the same under LA_ROOT for v001 (by default
 * /mnt/projects and /mnt/la/projects, as the fixture's own paths).
 */
const crypto = require('crypto');
const fs = require('fs');

const [frames, out, hqRoot = '/mnt/projects',
    laRoot = '/mnt/la/projects'] = process.argv.slice(2);
/* Fixture ids (tests/ftrack-double/fixture.json). */
const HQ = '78304116-eb3d-55ed-af40-bd42f28de2d2';
const LA = '2a370b92-8d4c-5cbb-ba6d-2168d5a5719b';
const SH010 = 'd97710a6-470a-50d8-8e5d-ee722f39e0be';
const dir = '/demo/sq010/sh010/benchplate/';
const ops = [];

function create(type, data) {
	data.id = data.id || crypto.randomUUID();
	ops.push({action: 'create', entity_type: type,
	    entity_data: {__entity_type__: type, ...data}});
	return data.id;
}

/* Component id of version v is at file in hq (and in la for v001). */
function put(id, v, file) {
	create('ComponentLocation', {component_id: id, location_id: HQ,
	    resource_identifier: `${hqRoot}${dir}v00${v}/${file}`});
	if (v === 1)
		create('ComponentLocation', {component_id: id, location_id: LA,
		    resource_identifier: `${laRoot}${dir}v001/${file}`});
}

const asset = create('Asset', {name: 'benchplate', context_id: SH010});
let v002;
for (const v of [1, 2]) {
	const version = create('AssetVersion', {asset_id: asset, version: v});
	v002 = version;
	const seq = create('SequenceComponent', {name: 'main',
	    file_type: '.exr', padding: 4, version_id: version});
	put(seq, v, 'main.%04d.exr');
	for (let f = 1001; f < 1001 + Number(frames); f++)
		put(create('FileComponent', {name: String(f), file_type: '.exr',
		    container_id: seq}), v, `main.${f}.exr`);
	put(create('FileComponent', {name: 'reference', file_type: '.mov',
	    version_id: version}), v, 'reference.mov');
}
fs.writeFileSync(out, JSON.stringify(ops));
console.log(v002);
