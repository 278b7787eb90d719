// SPDX-License-Identifier: MIT
/*
 * elfsym.c - find a symbol's default definition in the objects loaded after
 * this one, by reading their dynamic symbol tables.
 *
 * The interposer defines dlsym and dlvsym itself, so it cannot ask dlsym for
 * the real ones, and glibc 2.34 stopped exporting _dl_sym. The objects'
 * tables are in memory anyway: this is the lookup the dynamic linker does,
 * for one name, once, over the link map the dynamic linker publishes for
 * debuggers (_r_debug), from the object after this one (RTLD_NEXT's order).
 * It can run before anything else is initialised (a sanitizer's runtime
 * calls dlsym while it starts), so it allocates nothing, calls no function
 * (dl_iterate_phdr and strcmp may be intercepted by such a runtime) and is
 * not instrumented.
 */
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "preload/preload.h"

typedef ElfW(Dyn) elf_dyn;
typedef ElfW(Sym) elf_sym;
typedef ElfW(Half) elf_half;
typedef ElfW(Addr) elf_addr;

/* No strcmp: a sanitizer's interceptor of it may not be ready yet. */
static FP_NOSAN bool same(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	return *a == *b;
}

static FP_NOSAN uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static FP_NOSAN uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, g;

	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/*
 * A dynamic-section address: glibc relocates most of them in place, the
 * vDSO's and those of read-only sections it leaves as offsets.
 */
static FP_NOSAN uintptr_t dyn_addr(uintptr_t base, elf_addr v)
{
	return v < base ? base + v : v;
}

/* The default (non-hidden), defined, global function @name, or NULL. */
static FP_NOSAN void *lookup(const struct link_map *l, const char *name)
{
	const elf_dyn *dyn = l->l_ld;
	const elf_sym *symtab = NULL;
	const char *strtab = NULL;
	const uint32_t *gnu = NULL, *sysv = NULL;
	const elf_half *versym = NULL;
	uintptr_t base = l->l_addr;
	uint32_t idx, end;

	if (!dyn)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			symtab = (const void *)dyn_addr(base, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			strtab = (const void *)dyn_addr(base, dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			gnu = (const void *)dyn_addr(base, dyn->d_un.d_ptr);
			break;
		case DT_HASH:
			sysv = (const void *)dyn_addr(base, dyn->d_un.d_ptr);
			break;
		case DT_VERSYM:
			versym = (const void *)dyn_addr(base, dyn->d_un.d_ptr);
			break;
		}
	}
	if (!symtab || !strtab || (!gnu && !sysv))
		return NULL;

#define MATCH(k) ({							\
	const elf_sym *s_ = &symtab[k];				\
	s_->st_shndx != SHN_UNDEF && s_->st_value &&			\
	ELF64_ST_TYPE(s_->st_info) == STT_FUNC &&			\
	ELF64_ST_BIND(s_->st_info) != STB_LOCAL &&			\
	(!versym || ((versym[k] & 0x7fff) && !(versym[k] & 0x8000))) && \
	same(strtab + s_->st_name, name); })

	if (gnu) {
		uint32_t nbuckets = gnu[0], symoff = gnu[1], bloom = gnu[2];
		const uint32_t *buckets, *chain;
		uint32_t h = gnu_hash(name), h2;

		if (!nbuckets)
			return NULL;
		buckets = (const uint32_t *)((const elf_addr *)&gnu[4] +
					     bloom);
		chain = buckets + nbuckets;
		idx = buckets[h % nbuckets];
		if (idx < symoff)
			return NULL;
		for (;; idx++) {
			h2 = chain[idx - symoff];
			if ((h | 1) == (h2 | 1) && MATCH(idx))
				return (void *)(base + symtab[idx].st_value);
			if (h2 & 1)
				return NULL;
		}
	}
	end = sysv[1];
	for (idx = sysv[2 + sysv_hash(name) % sysv[0]]; idx && idx < end;
	     idx = sysv[2 + sysv[0] + idx])
		if (MATCH(idx))
			return (void *)(base + symtab[idx].st_value);
#undef MATCH
	return NULL;
}

FP_NOSAN void *fp_elf_next_sym(const char *name)
{
	const struct link_map *l;
	void *p;

	for (l = _r_debug.r_map; l && l->l_ld != _DYNAMIC; l = l->l_next)
		;
	for (l = l ? l->l_next : NULL; l; l = l->l_next) {
		p = lookup(l, name);
		if (p)
			return p;
	}
	return NULL;
}
