// SPDX-License-Identifier: GPL-2.0
/*
 * staging.c - SET_PLAN parts staged per sending socket. A part is only
 * ever added to the plan its own socket began with part 0, in order, of
 * one generation; the last part must say how many entries the plan has.
 * Whatever else happens (another socket's SET_PLAN, an error, DEL_PLAN),
 * a last part never installs a plan with parts missing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "policy.h"
#include "staging.h"

void fp_stages_init(struct fp_stages *ss)
{
	INIT_LIST_HEAD(&ss->list);
	ss->entries = 0;
}

static unsigned int fp_stage_cost(const struct fp_stage *s)
{
	return max(s->n, 1U);
}

static struct fp_stage *fp_stage_find(struct fp_stages *ss, u32 portid)
{
	struct fp_stage *s;

	list_for_each_entry(s, &ss->list, list)
		if (s->portid == portid)
			return s;
	return NULL;
}

static void fp_stage_free(struct fp_stages *ss, struct fp_stage *s)
{
	ss->entries -= fp_stage_cost(s);
	list_del(&s->list);
	kvfree(s->e);
	kfree(s);
}

void fp_stages_drop(struct fp_stages *ss, u32 portid)
{
	struct fp_stage *s = fp_stage_find(ss, portid);

	if (s)
		fp_stage_free(ss, s);
}

void fp_stages_drop_all(struct fp_stages *ss)
{
	struct fp_stage *s, *tmp;

	list_for_each_entry_safe(s, tmp, &ss->list, list)
		fp_stage_free(ss, s);
}

unsigned int fp_stages_count(const struct fp_stages *ss)
{
	const struct fp_stage *s;
	unsigned int n = 0;

	list_for_each_entry(s, &ss->list, list)
		n++;
	return n;
}

static int fp_stage_grow(struct fp_stage *s, unsigned int want)
{
	unsigned int cap = max3(want, s->cap * 2, 16U);
	struct fp_entry *e;

	e = kvmalloc_array(cap, sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	if (s->n)
		memcpy(e, s->e, s->n * sizeof(*e));
	kvfree(s->e);
	s->e = e;
	s->cap = cap;
	return 0;
}

/* Where the part stands in its socket's sequence; the stage to add to. */
static struct fp_stage *fp_stage_for(struct fp_stages *ss, u32 portid,
				     u32 part, u64 gen, struct nlattr *pattr,
				     struct netlink_ext_ack *extack)
{
	struct fp_stage *s = fp_stage_find(ss, portid);

	if (!part) {
		/* A new plan: what this socket staged before is given up. */
		if (s)
			fp_stage_free(ss, s);
		s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
		if (!s) {
			NL_SET_ERR_MSG(extack, "out of memory staging the plan");
			return ERR_PTR(-ENOMEM);
		}
		s->portid = portid;
		s->generation = gen;
		list_add_tail(&s->list, &ss->list);
		ss->entries += fp_stage_cost(s);
		return s;
	}
	if (!s) {
		NL_SET_ERR_MSG_ATTR(extack, pattr,
				    "no plan staged by this socket to add this part to: send part 0 first");
		return ERR_PTR(-EINVAL);
	}
	if (part != s->next_part) {
		NL_SET_ERR_MSG_ATTR(extack, pattr,
				    "part out of sequence: parts are numbered 0, 1, 2, ... (staged parts discarded)");
		goto bad;
	}
	if (gen != s->generation) {
		NL_SET_ERR_MSG(extack,
			       "part of another generation than the parts staged before it (staged parts discarded)");
		goto bad;
	}
	return s;
bad:
	fp_stage_free(ss, s);
	return ERR_PTR(-EINVAL);
}

/* Append the part's entries to @s. */
static int fp_stage_entries(struct fp_stages *ss, struct fp_stage *s,
			    struct nlattr *ents, unsigned int max_entries,
			    struct netlink_ext_ack *extack)
{
	unsigned int n = 0, i = 0, before = fp_stage_cost(s), others;
	struct nlattr *nla;
	int ret, rem;

	if (ents) {
		nla_for_each_nested(nla, ents, rem)
			n++;
		/* The policies stop at an array's last whole element. */
		if (rem) {
			NL_SET_ERR_MSG_ATTR(extack, ents,
					    "bytes left over after the last entry");
			return -EINVAL;
		}
	}
	if (n > max_entries || s->n + n > max_entries) {
		NL_SET_ERR_MSG_ATTR(extack, ents,
				    "more plan entries than the module parameter max_entries allows");
		return -E2BIG;
	}
	others = ss->entries - before;
	if (others + max(s->n + n, 1U) > max(max_entries, 1U)) {
		NL_SET_ERR_MSG_ATTR(extack, ents,
				    "plan parts staged by other sockets leave no room under max_entries: finish or close them, or delete the plan");
		return -EBUSY;
	}
	if (!n)
		return 0;
	if (s->n + n > s->cap && fp_stage_grow(s, s->n + n)) {
		NL_SET_ERR_MSG(extack, "out of memory staging the plan");
		return -ENOMEM;
	}
	nla_for_each_nested(nla, ents, rem) {
		ret = fp_nl_parse_entry(nla, &s->e[s->n + i], extack);
		if (ret)
			return ret;
		i++;
	}
	s->n += i;
	ss->entries = others + fp_stage_cost(s);
	return 0;
}

struct fp_plan *fp_stages_add(struct fp_stages *ss, u32 portid,
			      struct nlattr **attrs, unsigned int max_entries,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *gattr = attrs[FLOWPLAN_A_GENERATION];
	struct nlattr *pattr = attrs[FLOWPLAN_A_PART];
	struct nlattr *nattr = attrs[FLOWPLAN_A_NENTRIES];
	u32 part = pattr ? nla_get_u32(pattr) : 0, flags = 0, total;
	struct fp_stage *s;
	struct fp_plan *plan;
	bool last;
	int ret;

	if (!gattr) {
		NL_SET_ERR_MSG(extack, "a plan needs a generation");
		NL_SET_ERR_ATTR_MISS(extack, NULL, FLOWPLAN_A_GENERATION);
		fp_stages_drop(ss, portid);
		return ERR_PTR(-EINVAL);
	}
	if (attrs[FLOWPLAN_A_FLAGS])
		flags = nla_get_u32(attrs[FLOWPLAN_A_FLAGS]);
	last = !(flags & FLOWPLAN_F_MORE);

	s = fp_stage_for(ss, portid, part, nla_get_u64(gattr), pattr, extack);
	if (IS_ERR(s))
		return ERR_CAST(s);
	ret = fp_stage_entries(ss, s, attrs[FLOWPLAN_A_ENTRIES], max_entries,
			       extack);
	if (ret)
		goto err;

	if (nattr) {
		total = nla_get_u32(nattr);
		if ((s->announced && total != s->total) || s->n > total ||
		    (last && s->n != total)) {
			NL_SET_ERR_MSG_ATTR(extack, nattr,
					    "the plan's entries differ from FLOWPLAN_A_NENTRIES (staged parts discarded)");
			ret = -EINVAL;
			goto err;
		}
		s->announced = true;
		s->total = total;
	} else if (s->announced && s->n > s->total) {
		NL_SET_ERR_MSG(extack,
			       "more entries than FLOWPLAN_A_NENTRIES announced (staged parts discarded)");
		ret = -EINVAL;
		goto err;
	}
	if (!last) {
		s->next_part = part + 1;
		return NULL;
	}
	if (part && !nattr) {
		NL_SET_ERR_MSG(extack,
			       "the last part of a plan in several parts needs FLOWPLAN_A_NENTRIES (staged parts discarded)");
		NL_SET_ERR_ATTR_MISS(extack, NULL, FLOWPLAN_A_NENTRIES);
		ret = -EINVAL;
		goto err;
	}
	plan = fp_plan_build(s->e, s->n, s->generation, extack);
	fp_stage_free(ss, s);
	return plan;
err:
	fp_stage_free(ss, s);
	return ERR_PTR(ret);
}
