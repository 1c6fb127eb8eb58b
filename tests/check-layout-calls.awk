# The call graph between source files, from what their objects define and
# use (nm), for tests/check-layout.sh: a file that calls into another
# depends on it, and calls must go one way (HACKING.md), so a strongly
# connected component of more than one file is a cycle to break.
#
# Input, in order: lines "map SOURCE OBJECT" (one object may hold one
# source; a source may have several objects, one per target), then
# `nm -A -P OBJECT...` output. A symbol defined by two different sources
# (each program's main, say) says nothing about who calls whom and is
# left out.
#
# Output: "cycle FILE..." per cycle, then "edge FROM TO SYMBOL" for each
# call inside a cycle (so that the message can say what to move), then
# "graph FILES EDGES CYCLES DEPTH CHAIN": the files, the calls between
# them, the cycles, and the longest chain of files calling down (the
# number of layers), with that chain (when there is no cycle).

$1 == "map" {
	src[$3] = $2
	files[$2] = 1
	next
}

{
	obj = $1
	sub(/:$/, "", obj)
	if (!(obj in src))
		next
	f = src[obj]
	sym = $2
	type = $3
	if (type == "U") {
		usesyms[f] = usesyms[f] " " sym
	} else if (type ~ /^[TDBRCGSVW]$/) {
		if ((sym in owner) && owner[sym] != f)
			shared[sym] = 1
		owner[sym] = f
	}
}

function visit(v,    i, w, c, members) {
	index_[v] = low[v] = counter++
	stack[++sp] = v
	onstack[v] = 1
	for (i = 1; i <= nout[v]; i++) {
		w = out[v, i]
		if (!(w in index_)) {
			visit(w)
			if (low[w] < low[v])
				low[v] = low[w]
		} else if ((w in onstack) && index_[w] < low[v])
			low[v] = index_[w]
	}
	if (low[v] != index_[v])
		return
	c = 0
	members = ""
	do {
		w = stack[sp--]
		delete onstack[w]
		comp[w] = ncomp
		members = members " " w
		c++
	} while (w != v)
	size[ncomp] = c
	list[ncomp] = members
	ncomp++
}

# The longest chain from v down, in files (the graph is acyclic here).
function depth(v,    i, w, d) {
	if (v in deep)
		return (deep[v])
	deep[v] = 1
	next_[v] = ""
	for (i = 1; i <= nout[v]; i++) {
		w = out[v, i]
		d = depth(w) + 1
		if (d > deep[v]) {
			deep[v] = d
			next_[v] = w
		}
	}
	return (deep[v])
}

END {
	for (f in usesyms) {
		n = split(usesyms[f], s, " ")
		for (i = 1; i <= n; i++) {
			sym = s[i]
			if (!(sym in owner) || (sym in shared))
				continue
			t = owner[sym]
			if (t == f)
				continue
			if (!((f, t) in edge)) {
				edge[f, t] = sym
				out[f, ++nout[f]] = t
				nedges++
			} else if (index(" " edge[f, t] " ", " " sym " ") == 0)
				edge[f, t] = edge[f, t] " " sym
		}
	}
	nfiles = 0
	for (f in files) {
		nfiles++
		if (!(f in index_))
			visit(f)
	}
	cycles = 0
	for (k = 0; k < ncomp; k++) {
		if (size[k] < 2)
			continue
		cycles++
		print "cycle" list[k]
		n = split(list[k], m, " ")
		for (i = 1; i <= n; i++)
			for (j = 1; j <= nout[m[i]]; j++) {
				t = out[m[i], j]
				if (comp[t] == k)
					print "edge", m[i], t, edge[m[i], t]
			}
	}
	best = 0
	chain = ""
	if (cycles == 0)
		for (f in files)
			if (depth(f) > best) {
				best = depth(f)
				top = f
			}
	if (best > 0) {
		chain = top
		for (v = top; next_[v] != ""; v = next_[v])
			chain = chain ">" next_[v]
	}
	print "graph", nfiles, nedges + 0, cycles, best, chain
}
