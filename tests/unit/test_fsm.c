/*
 * test_fsm.c - fsm.c, exhaustively, against an oracle written from vfio-migration-uapi.md alone
 * (not from fsm.c): a transcription of the kernel's vfio_mig_get_next_state() as section 2.6
 * states it, with the next-step table in the doc's own row and column order. The oracle keeps
 * the kernel's bug observable: its step-3 loop runs under an iteration bound and reports that
 * the kernel would spin forever where the real loop never stops at ERROR.
 *
 * Checked: every (cur, target) in -1..8 under every flags value 0..15 for fsm_next_step and
 * fsm_plan, the reference paths in tests/data/vfio-fsm-paths.txt (directory from the
 * VFIO_MIGD_TESTDATA environment variable), request validation, the name helpers and the arc
 * predicates against the arc lists of 2.2, 2.3 and 2.6.
 *
 * The oracle itself (the doc's tables, the kernel's algorithm, the arc list) is in
 * fsm_oracle.c; this file holds only the tests that compare fsm.c with it.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "fsm_oracle.h"

/* The ranges every exhaustive test walks: one out-of-range value on each side of the enum. */
#define S_LO	 (-1)
#define S_HI	 K_NSTATES
#define S_COUNT	 (S_HI - S_LO + 1)
#define FLAGS_HI 15u /* 0..15: the 8 subsets of the known bits, each with and without bit 8 */

/* fsm.h promises the kernel's values; everything below compares through them. */
_Static_assert((int)FSM_ERROR == K_ERROR && (int)FSM_STOP == K_STOP &&
		       (int)FSM_RUNNING == K_RUNNING && (int)FSM_STOP_COPY == K_STOP_COPY &&
		       (int)FSM_RESUMING == K_RESUMING && (int)FSM_RUNNING_P2P == K_RUNNING_P2P &&
		       (int)FSM_PRE_COPY == K_PRE_COPY && (int)FSM_PRE_COPY_P2P == K_PRE_COPY_P2P &&
		       FSM_NSTATES == K_NSTATES,
	       "fsm.h state values differ from the kernel's");
_Static_assert(FSM_F_STOP_COPY == K_F_STOP_COPY && FSM_F_P2P == K_F_P2P &&
		       FSM_F_PRE_COPY == K_F_PRE_COPY && FSM_F_ALL == K_F_KNOWN,
	       "fsm.h flag bits differ from the kernel's");

/* ---- 1. fsm_next_step against the oracle ------------------------------------------------- */

/*
 * The hang the doc derives (2.6): STOP_COPY -> PRE_COPY[_P2P] on a device that has them,
 * T[STOP_COPY][PRE_COPY*] being ERROR and ERROR never "supported" (short of all-ones flags).
 */
static bool doc_expects_spin(int cur, int target, uint32_t flags)
{
	return cur == K_STOP_COPY && (target == K_PRE_COPY || target == K_PRE_COPY_P2P) &&
	       k_supported(cur, flags) && k_supported(target, flags) &&
	       !k_supported(K_ERROR, flags);
}

/* Checks one case; returns 1 when the oracle reports that the kernel would spin. */
static unsigned int check_next_step(int cur, int target, uint32_t flags)
{
	enum k_state want = K_ERROR;
	enum fsm_state got, untouched;
	int rk = oracle_next_step(cur, target, flags, &want);
	int r;

	memset(&got, 0xa5, sizeof(got));
	memcpy(&untouched, &got, sizeof(got));
	r = fsm_next_step(cur, target, flags, &got);
	ck_assert_msg(doc_expects_spin(cur, target, flags) == (rk == ORACLE_SPINS),
		      "oracle: %s -> %s flags 0x%x: spin %d, doc says %d", k_name(cur),
		      k_name(target), flags, rk == ORACLE_SPINS,
		      doc_expects_spin(cur, target, flags));
	if (rk != 0) {
		ck_assert_msg(r == -EINVAL, "%s -> %s flags 0x%x: got %d, want -EINVAL%s",
			      k_name(cur), k_name(target), flags, r,
			      rk == ORACLE_SPINS ? " (the kernel would spin forever)" : "");
		ck_assert_msg(memcmp(&got, &untouched, sizeof(got)) == 0,
			      "%s -> %s flags 0x%x: *ret_next written on failure", k_name(cur),
			      k_name(target), flags);
		return rk == ORACLE_SPINS;
	}
	ck_assert_msg(r == 0, "%s -> %s flags 0x%x: got %d, want 0", k_name(cur), k_name(target),
		      flags, r);
	ck_assert_msg((int)got == (int)want, "%s -> %s flags 0x%x: next %s, want %s", k_name(cur),
		      k_name(target), flags, k_name((int)got), k_name((int)want));
	return 0;
}

START_TEST(test_next_step_vs_oracle)
{
	unsigned int cases = 0, spins = 0;

	for (uint32_t flags = 0; flags <= FLAGS_HI; flags++) {
		for (int cur = S_LO; cur <= S_HI; cur++) {
			for (int target = S_LO; target <= S_HI; target++) {
				spins += check_next_step(cur, target, flags);
				cases++;
			}
		}
	}
	ck_assert_uint_eq(cases, (FLAGS_HI + 1) * S_COUNT * S_COUNT);
	/*
	 * STOP_COPY -> PRE_COPY under the four sets with STOP_COPY and PRE_COPY (0x5, 0x7, 0xd,
	 * 0xf), STOP_COPY -> PRE_COPY_P2P under the two of them that also have P2P (0x7, 0xf).
	 */
	ck_assert_uint_eq(spins, 6);
	printf("fsm: next_step: %u cases, %u where the kernel would spin\n", cases, spins);
}
END_TEST

/* ---- 2. fsm_plan against the oracle's iterated path ------------------------------------- */

/* Shape rules of 2.2/2.6 for a plan fsm_plan returned and the oracle agreed with. */
static void check_path_shape(int cur, int target, uint32_t flags, const struct fsm_path *p)
{
	bool through_saving = k_saving(cur) && k_saving(target);
	int prev = cur;

	ck_assert_msg(p->len <= FSM_PATH_MAX, "%s -> %s flags 0x%x: len %u", k_name(cur),
		      k_name(target), flags, p->len);
	ck_assert_msg((cur == target) == (p->len == 0), "%s -> %s flags 0x%x: len %u", k_name(cur),
		      k_name(target), flags, p->len);
	if (p->len > 0)
		ck_assert_int_eq(p->step[p->len - 1], target);
	for (unsigned int i = 0; i < p->len; i++) {
		int s = p->step[i];
		const struct doc_arc *a = doc_arc_find(prev, s);

		ck_assert_msg(k_supported(s, flags), "%s -> %s flags 0x%x: step %u %s unsupported",
			      k_name(cur), k_name(target), flags, i, k_name(s));
		ck_assert_msg(a && doc_arc_gated_in(a, flags),
			      "%s -> %s flags 0x%x: %s -> %s is not an arc such a device has",
			      k_name(cur), k_name(target), flags, k_name(prev), k_name(s));
		ck_assert_msg(i + 1 == p->len || !k_saving(s) || through_saving,
			      "%s -> %s flags 0x%x: saving-group state %s is interior", k_name(cur),
			      k_name(target), flags, k_name(s));
		ck_assert_msg(i + 1 == p->len || (!a->opens_save && !a->opens_resume),
			      "%s -> %s flags 0x%x: interior arc %s -> %s opens a session",
			      k_name(cur), k_name(target), flags, k_name(prev), k_name(s));
		ck_assert_msg(i == 0 || !a->ends_session,
			      "%s -> %s flags 0x%x: arc %s -> %s ends a session mid-path",
			      k_name(cur), k_name(target), flags, k_name(prev), k_name(s));
		prev = s;
	}
	ck_assert_msg(p->len == doc_shortest(cur, target, flags),
		      "%s -> %s flags 0x%x: len %u is not the shortest the rules allow (%u)",
		      k_name(cur), k_name(target), flags, p->len, doc_shortest(cur, target, flags));
}

/* Checks one case; returns 1 when the plan succeeded. */
static unsigned int check_plan(int cur, int target, uint32_t flags)
{
	struct k_path want;
	struct fsm_path got, untouched;
	int rk = oracle_plan(cur, target, flags, &want);
	int r;

	memset(&got, 0xa5, sizeof(got));
	memcpy(&untouched, &got, sizeof(got));
	r = fsm_plan(cur, target, flags, &got);
	if (rk != 0) {
		ck_assert_msg(r == -EINVAL, "plan %s -> %s flags 0x%x: got %d, want -EINVAL%s",
			      k_name(cur), k_name(target), flags, r,
			      rk == ORACLE_SPINS ? " (the kernel would spin forever)" : "");
		ck_assert_msg(memcmp(&got, &untouched, sizeof(got)) == 0,
			      "plan %s -> %s flags 0x%x: *ret written on failure", k_name(cur),
			      k_name(target), flags);
		return 0;
	}
	ck_assert_msg(r == 0, "plan %s -> %s flags 0x%x: got %d", k_name(cur), k_name(target),
		      flags, r);
	ck_assert_msg(got.len == want.len, "plan %s -> %s flags 0x%x: len %u, oracle %u",
		      k_name(cur), k_name(target), flags, got.len, want.len);
	for (unsigned int i = 0; i < want.len; i++) {
		ck_assert_msg((int)got.step[i] == (int)want.step[i],
			      "plan %s -> %s flags 0x%x: step %u is %s, oracle %s", k_name(cur),
			      k_name(target), flags, i, k_name((int)got.step[i]),
			      k_name((int)want.step[i]));
	}
	check_path_shape(cur, target, flags, &got);
	return 1;
}

START_TEST(test_plan_vs_oracle)
{
	unsigned int cases = 0, planned = 0;

	for (uint32_t flags = 0; flags <= FLAGS_HI; flags++) {
		for (int cur = S_LO; cur <= S_HI; cur++) {
			for (int target = S_LO; target <= S_HI; target++) {
				planned += check_plan(cur, target, flags);
				cases++;
			}
		}
	}
	ck_assert_uint_eq(cases, (FLAGS_HI + 1) * S_COUNT * S_COUNT);
	/*
	 * Per set with STOP_COPY, n supported states give n * n requests minus the blocked
	 * ones: 0x1 16, 0x3 25, 0x5 25 - 1, 0x7 49 - 2; each set twice (with and without bit 8).
	 */
	ck_assert_uint_eq(planned, 2 * (16 + 25 + 24 + 47));
	printf("fsm: plan: %u cases, %u plans\n", cases, planned);
}
END_TEST

/* ---- 3. The reference paths in tests/data/vfio-fsm-paths.txt ----------------------------- */

static int doc_state_lookup(const char *name)
{
	for (int s = 0; s < K_NSTATES; s++) {
		if (strcmp(k_names[s], name) == 0)
			return s;
	}
	return -1;
}

/* "STOP_COPY|P2P|PRE_COPY" (modified in place); aborts on an unknown name. */
static uint32_t parse_heading_flags(char *names, unsigned int lineno)
{
	static const char *const flag_names[] = { "STOP_COPY", "P2P", "PRE_COPY" };
	uint32_t flags = 0;
	char *save = NULL;

	for (char *tok = strtok_r(names, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		unsigned int i = 0;

		while (i < 3 && strcmp(tok, flag_names[i]) != 0)
			i++;
		ck_assert_msg(i < 3, "paths line %u: unknown flag '%s'", lineno, tok);
		flags |= 1u << i;
	}
	return flags;
}

/*
 * Splits "A -> B -> C" (modified in place) into states; returns their number, or aborts on a
 * token that is neither a state name nor an arrow in the right place.
 */
static unsigned int parse_chain(char *text, int *states, unsigned int max, unsigned int lineno)
{
	unsigned int n = 0, tokens = 0;
	char *save = NULL;

	for (char *tok = strtok_r(text, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save), tokens++) {
		if (tokens % 2 == 1) {
			ck_assert_msg(strcmp(tok, "->") == 0,
				      "paths line %u: '%s' where -> expected", lineno, tok);
			continue;
		}
		ck_assert_msg(n < max, "paths line %u: chain too long", lineno);
		states[n] = doc_state_lookup(tok);
		ck_assert_msg(states[n] >= 0, "paths line %u: unknown state '%s'", lineno, tok);
		n++;
	}
	ck_assert_msg(tokens % 2 == 1, "paths line %u: chain ends with an arrow", lineno);
	return n;
}

struct paths_tally {
	unsigned int lines, invalid, headings;
	uint32_t flags;
	bool seen[K_NSTATES][K_NSTATES]; /* pairs seen under the current heading */
	unsigned int in_heading;
};

/* Every supported (cur != target) pair appears exactly once under its heading. */
static void check_heading_complete(const struct paths_tally *t)
{
	unsigned int n = 0;

	if (t->headings == 0)
		return;
	for (int s = 0; s < K_NSTATES; s++)
		n += k_supported(s, t->flags);
	ck_assert_msg(t->in_heading == n * (n - 1), "flags 0x%x: %u lines, want %u", t->flags,
		      t->in_heading, n * (n - 1));
}

static void check_paths_line(struct paths_tally *t, char *line, unsigned int lineno)
{
	int lhs[2], rhs[ORACLE_PATH_BOUND + 1];
	char *colon = strchr(line, ':');
	struct fsm_path got;
	unsigned int n;
	int r;

	ck_assert_msg(t->headings > 0, "paths line %u: before any heading", lineno);
	ck_assert_msg(colon != NULL, "paths line %u: no ':'", lineno);
	*colon = '\0';
	ck_assert_uint_eq(parse_chain(line, lhs, 2, lineno), 2);
	ck_assert_msg(!t->seen[lhs[0]][lhs[1]], "paths line %u: pair repeated", lineno);
	t->seen[lhs[0]][lhs[1]] = true;
	t->in_heading++;
	t->lines++;
	r = fsm_plan(lhs[0], lhs[1], t->flags, &got);
	if (strstr(colon + 1, "INVALID")) {
		ck_assert_msg(strstr(colon + 1, "INVALID (-EINVAL)"), "paths line %u", lineno);
		ck_assert_msg(r == -EINVAL,
			      "paths line %u: %s -> %s flags 0x%x: got %d, file says -EINVAL",
			      lineno, k_names[lhs[0]], k_names[lhs[1]], t->flags, r);
		t->invalid++;
		return;
	}
	n = parse_chain(colon + 1, rhs, ORACLE_PATH_BOUND + 1, lineno);
	ck_assert_msg(n >= 2 && rhs[0] == lhs[0] && rhs[n - 1] == lhs[1],
		      "paths line %u: path does not run from A to B", lineno);
	ck_assert_msg(r == 0, "paths line %u: %s -> %s flags 0x%x: got %d", lineno, k_names[lhs[0]],
		      k_names[lhs[1]], t->flags, r);
	ck_assert_msg(got.len == n - 1, "paths line %u: len %u, file %u", lineno, got.len, n - 1);
	for (unsigned int i = 0; i < got.len; i++) {
		ck_assert_msg((int)got.step[i] == rhs[i + 1], "paths line %u: step %u %s, file %s",
			      lineno, i, k_name((int)got.step[i]), k_names[rhs[i + 1]]);
	}
}

static void check_paths_heading(struct paths_tally *t, char *line, unsigned int lineno)
{
	char *names = line + strlen("=== flags");

	check_heading_complete(t);
	names += strspn(names, " \t");
	names[strcspn(names, " \t\r\n")] = '\0';
	t->flags = parse_heading_flags(names, lineno);
	memset(t->seen, 0, sizeof(t->seen));
	t->in_heading = 0;
	t->headings++;
}

START_TEST(test_reference_paths)
{
	const char *dir = getenv("VFIO_MIGD_TESTDATA");
	struct paths_tally t = { 0 };
	unsigned int lineno = 0;
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;

	ck_assert_msg(dir != NULL, "VFIO_MIGD_TESTDATA is not set (meson test sets it)");
	snprintf(path, sizeof(path), "%s/vfio-fsm-paths.txt", dir);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (strncmp(line, "=== flags", strlen("=== flags")) == 0)
			check_paths_heading(&t, line, lineno);
		else if (line[strspn(line, " \t\r\n")] != '\0')
			check_paths_line(&t, line, lineno);
	}
	check_heading_complete(&t);
	free(line);
	fclose(f);
	/* The four valid sets; n(n-1) pairs each for n = 4, 5, 5, 7 supported states. */
	ck_assert_uint_eq(t.headings, 4);
	ck_assert_uint_eq(t.lines, 12 + 20 + 20 + 42);
	ck_assert_uint_eq(t.invalid, 3);
	printf("fsm: reference paths: %u lines, %u INVALID\n", t.lines, t.invalid);
}
END_TEST

/* ---- 4. fsm_validate --------------------------------------------------------------------- */

/* Refused with a non-empty reason, also when the caller passes no reason pointer. */
static const char *check_refused(int cur, int target, uint32_t flags)
{
	const char *why = NULL;
	int r = fsm_validate(cur, target, flags, &why);

	ck_assert_msg(r == -EINVAL, "validate %s -> %s flags 0x%x: got %d, want -EINVAL",
		      k_name(cur), k_name(target), flags, r);
	ck_assert_msg(why != NULL && why[0] != '\0', "validate %s -> %s flags 0x%x: no reason",
		      k_name(cur), k_name(target), flags);
	ck_assert_int_eq(fsm_validate(cur, target, flags, NULL), -EINVAL);
	return why;
}

START_TEST(test_validate_exhaustive)
{
	unsigned int cases = 0, legal = 0;

	for (uint32_t flags = 0; flags <= FLAGS_HI; flags++) {
		for (int cur = S_LO; cur <= S_HI; cur++) {
			for (int target = S_LO; target <= S_HI; target++) {
				struct k_path p;
				bool ok = k_flags_valid(flags) &&
					  oracle_plan(cur, target, flags, &p) == 0;

				cases++;
				if (!ok) {
					check_refused(cur, target, flags);
					continue;
				}
				ck_assert_msg(fsm_validate(cur, target, flags, NULL) == 0,
					      "validate %s -> %s flags 0x%x: refused", k_name(cur),
					      k_name(target), flags);
				legal++;
			}
		}
	}
	ck_assert_uint_eq(cases, (FLAGS_HI + 1) * S_COUNT * S_COUNT);
	ck_assert_uint_eq(legal, 16 + 25 + 24 + 47);
	printf("fsm: validate: %u cases, %u legal\n", cases, legal);
}
END_TEST

START_TEST(test_validate_rules)
{
	const uint32_t all = K_F_KNOWN, sc = K_F_STOP_COPY;
	const char *error_target, *unsupported, *bad_flags, *blocked;

	ck_assert_int_eq(fsm_validate(K_RUNNING, K_RUNNING, all, NULL), 0);
	ck_assert_int_eq(fsm_validate(K_RUNNING, K_RESUMING, sc, NULL), 0);
	ck_assert_int_eq(fsm_validate(K_PRE_COPY, K_STOP_COPY, all, NULL), 0);
	ck_assert_int_eq(fsm_validate(K_STOP_COPY, K_STOP, sc | K_F_PRE_COPY, NULL), 0);

	error_target = check_refused(K_RUNNING, K_ERROR, all);
	check_refused(K_STOP, K_ERROR, sc);
	unsupported = check_refused(K_RUNNING, K_RUNNING_P2P, sc);
	check_refused(K_RUNNING, K_PRE_COPY_P2P, sc | K_F_PRE_COPY);
	check_refused(K_RUNNING, K_PRE_COPY, sc | K_F_P2P);
	bad_flags = check_refused(K_RUNNING, K_STOP, sc | 0x8u);
	check_refused(K_RUNNING, K_STOP, K_F_P2P | K_F_PRE_COPY);
	check_refused(K_RUNNING, K_STOP, 0);
	check_refused(K_RUNNING, K_STOP, 0x80000000u | all);
	check_refused(K_RUNNING, K_NSTATES, all);
	check_refused(K_RUNNING, -1, all);
	check_refused(K_RUNNING, INT_MAX, all);
	blocked = check_refused(K_STOP_COPY, K_PRE_COPY, all);
	check_refused(K_STOP_COPY, K_PRE_COPY_P2P, all);
	check_refused(K_STOP_COPY, K_PRE_COPY, sc | K_F_PRE_COPY);

	/* "a static sentence naming the rule": four different rules, four different sentences */
	ck_assert_str_ne(error_target, unsupported);
	ck_assert_str_ne(error_target, bad_flags);
	ck_assert_str_ne(error_target, blocked);
	ck_assert_str_ne(unsupported, bad_flags);
	ck_assert_str_ne(unsupported, blocked);
	ck_assert_str_ne(bad_flags, blocked);
}
END_TEST

/* ---- 5. Names, flags, supported states ---------------------------------------------------- */

START_TEST(test_state_names)
{
	static const int outside[] = { -1, K_NSTATES, 9, 100, INT_MAX, INT_MIN };
	static const char *const unknown[] = {
		"",
		"INVALID",
		"STOP_",
		"STOPCOPY",
		"stop copy",
		" STOP",
		"STOP ",
		"STOP\n",
		"PRE_COPY_P2P_",
		"running_p2p2",
		"PRE",
		"P2P",
		"RUNNING-P2P",
		"0",
		"1",
	};
	enum fsm_state got, untouched;

	for (int s = 0; s < K_NSTATES; s++) {
		char lower[32], mixed[32];

		ck_assert_str_eq(fsm_state_name(s), k_names[s]);
		for (unsigned int i = 0; i <= strlen(k_names[s]); i++) {
			lower[i] = (char)tolower((unsigned char)k_names[s][i]);
			mixed[i] = i % 2 ? lower[i] : k_names[s][i];
		}
		ck_assert_int_eq(fsm_state_parse(k_names[s], &got), 0);
		ck_assert_int_eq(got, s);
		ck_assert_int_eq(fsm_state_parse(fsm_state_name(s), &got), 0);
		ck_assert_int_eq(got, s);
		ck_assert_int_eq(fsm_state_parse(lower, &got), 0);
		ck_assert_int_eq(got, s);
		ck_assert_int_eq(fsm_state_parse(mixed, &got), 0);
		ck_assert_int_eq(got, s);
	}
	for (unsigned int i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		ck_assert_str_eq(fsm_state_name(outside[i]), "INVALID");
	for (unsigned int i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		memset(&got, 0xa5, sizeof(got));
		memcpy(&untouched, &got, sizeof(got));
		ck_assert_msg(fsm_state_parse(unknown[i], &got) == -EINVAL, "parse '%s'",
			      unknown[i]);
		ck_assert_msg(memcmp(&got, &untouched, sizeof(got)) == 0, "parse '%s' wrote *ret",
			      unknown[i]);
	}
}
END_TEST

/*
 * fsm_flags_str(flags) splits on '|' into the known names in bit order, then hex values whose
 * sum is the unknown bits.
 */
static void check_flags_str_shape(uint32_t flags)
{
	static const char *const flag_names[] = { "STOP_COPY", "P2P", "PRE_COPY" };
	char buf[128], *save = NULL;
	uint32_t known = 0, unknown = 0;
	unsigned int next_bit = 0;

	ck_assert_ptr_eq(fsm_flags_str(flags, buf, sizeof(buf)), buf);
	ck_assert_ptr_nonnull(memchr(buf, '\0', sizeof(buf)));
	for (char *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		char *end;
		unsigned long v;

		while (next_bit < 3 && strcmp(tok, flag_names[next_bit]) != 0)
			next_bit++;
		if (next_bit < 3) {
			known |= 1u << next_bit++;
			continue;
		}
		v = strtoul(tok, &end, 16);
		ck_assert_msg(*end == '\0' && end != tok, "flags 0x%x: token '%s'", flags, tok);
		unknown += (uint32_t)v;
	}
	ck_assert_msg(known == (flags & K_F_KNOWN), "flags 0x%x: names give 0x%x", flags, known);
	ck_assert_msg(unknown == (flags & ~K_F_KNOWN), "flags 0x%x: hex gives 0x%x", flags,
		      unknown);
}

START_TEST(test_flags_str)
{
	static const uint32_t shapes[] = {
		0x8, 0x9, 0xf, 0x10, 0xf0 | 0x7, 0x80000001u, 0xffffffffu
	};
	char buf[64], guarded[64];

	ck_assert_str_eq(fsm_flags_str(K_F_STOP_COPY, buf, sizeof(buf)), "STOP_COPY");
	ck_assert_str_eq(fsm_flags_str(K_F_STOP_COPY | K_F_P2P, buf, sizeof(buf)), "STOP_COPY|P2P");
	ck_assert_str_eq(fsm_flags_str(K_F_STOP_COPY | K_F_PRE_COPY, buf, sizeof(buf)),
			 "STOP_COPY|PRE_COPY");
	ck_assert_str_eq(fsm_flags_str(K_F_KNOWN, buf, sizeof(buf)), "STOP_COPY|P2P|PRE_COPY");
	ck_assert_str_eq(fsm_flags_str(K_F_P2P, buf, sizeof(buf)), "P2P");
	ck_assert_str_eq(fsm_flags_str(K_F_P2P | K_F_PRE_COPY, buf, sizeof(buf)), "P2P|PRE_COPY");
	for (uint32_t flags = 1; flags <= FLAGS_HI; flags++)
		check_flags_str_shape(flags);
	for (unsigned int i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check_flags_str_shape(shapes[i]);
	ck_assert_ptr_eq(fsm_flags_str(0, buf, sizeof(buf)), buf);
	ck_assert_ptr_nonnull(memchr(buf, '\0', sizeof(buf)));

	/* A short buffer: terminated within size, nothing written past it. */
	memset(guarded, 'Z', sizeof(guarded));
	fsm_flags_str(0xffffffffu, guarded, 5);
	ck_assert_ptr_nonnull(memchr(guarded, '\0', 5));
	for (unsigned int i = 5; i < sizeof(guarded); i++)
		ck_assert_int_eq(guarded[i], 'Z');
}
END_TEST

START_TEST(test_flags_valid)
{
	static const uint32_t high[] = { 0x10, 0x11, 0x17, 0x80000001u, 0xffffffffu, 0x100 | 0x7 };

	for (uint32_t flags = 0; flags <= FLAGS_HI; flags++)
		ck_assert_msg(fsm_flags_valid(flags) == k_flags_valid(flags), "flags 0x%x", flags);
	for (unsigned int i = 0; i < sizeof(high) / sizeof(high[0]); i++)
		ck_assert_msg(!fsm_flags_valid(high[i]), "flags 0x%x", high[i]);
}
END_TEST

START_TEST(test_state_supported)
{
	unsigned int cases = 0;

	for (uint32_t flags = 0; flags <= FLAGS_HI; flags++) {
		for (int s = S_LO; s <= S_HI; s++, cases++) {
			ck_assert_msg(fsm_state_supported(s, flags) == k_supported(s, flags),
				      "supported(%s, 0x%x): %d, doc says %d", k_name(s), flags,
				      fsm_state_supported(s, flags), k_supported(s, flags));
		}
	}
	ck_assert(!fsm_state_supported(K_ERROR, 0xffffffffu));
	ck_assert(!fsm_state_supported(INT_MIN, K_F_KNOWN));
	ck_assert(!fsm_state_supported(INT_MAX, K_F_KNOWN));
	ck_assert_uint_eq(cases, (FLAGS_HI + 1) * S_COUNT);
}
END_TEST

/* ---- 6. Arc predicates -------------------------------------------------------------------- */

START_TEST(test_state_predicates)
{
	for (int s = S_LO; s <= S_HI; s++) {
		/* 2.2's saving group; the states 2.1 describes as running */
		bool saving = s == K_PRE_COPY || s == K_PRE_COPY_P2P || s == K_STOP_COPY;
		bool running = s == K_RUNNING || s == K_RUNNING_P2P || s == K_PRE_COPY ||
			       s == K_PRE_COPY_P2P;

		ck_assert_msg(fsm_is_saving(s) == saving, "is_saving(%s)", k_name(s));
		ck_assert_msg(fsm_is_running(s) == running, "is_running(%s)", k_name(s));
	}
}
END_TEST

/*
 * 2.3: "Leaving the saving group (->STOP, ->RUNNING, ->RUNNING_P2P) or RESUMING ... ends the
 * session". The rule speaks of any move, not only direct arcs, so it is the expectation for
 * every in-range pair; on the direct arcs it gives exactly the four 2.2 names.
 */
static bool doc_leaves_session(int from, int to)
{
	return (k_saving(from) && !k_saving(to)) || (from == K_RESUMING && to != K_RESUMING);
}

/*
 * Every (from, to) in -1..8. A session is opened only by the direct arcs 2.2 and 2.3 name;
 * ends_session follows 2.3's rule. A value outside the enum is no state, so no arc: every
 * predicate is false. Whether a move into ERROR (a failure outcome, 2.2) ends the session the
 * doc does not say, so ends_session is not checked for pairs involving ERROR.
 */
START_TEST(test_arc_predicates)
{
	unsigned int cases = 0, saves = 0, resumes = 0, ends = 0;

	for (int from = S_LO; from <= S_HI; from++) {
		for (int to = S_LO; to <= S_HI; to++, cases++) {
			const struct doc_arc *a = doc_arc_find(from, to);
			bool want_save = a && a->opens_save, want_resume = a && a->opens_resume;
			bool want_end =
				k_in_range(from) && k_in_range(to) && doc_leaves_session(from, to);

			ck_assert_msg(fsm_arc_opens_save(from, to) == want_save,
				      "opens_save(%s, %s)", k_name(from), k_name(to));
			ck_assert_msg(fsm_arc_opens_resume(from, to) == want_resume,
				      "opens_resume(%s, %s)", k_name(from), k_name(to));
			saves += want_save;
			resumes += want_resume;
			if (from == K_ERROR || to == K_ERROR)
				continue;
			ck_assert_msg(fsm_arc_ends_session(from, to) == want_end,
				      "ends_session(%d %s, %d %s): %d, doc says %d", from,
				      k_name(from), to, k_name(to), fsm_arc_ends_session(from, to),
				      want_end);
		}
	}
	for (unsigned int i = 0; i < N_DOC_ARCS; i++) {
		ck_assert(doc_arcs[i].ends_session ==
			  doc_leaves_session(doc_arcs[i].from, doc_arcs[i].to));
		ends += doc_arcs[i].ends_session;
	}
	ck_assert_uint_eq(cases, S_COUNT * S_COUNT);
	/* 2.3: three arcs return a save fd, one a resume fd; 2.2: four arcs end a session */
	ck_assert_uint_eq(saves, 3);
	ck_assert_uint_eq(resumes, 1);
	ck_assert_uint_eq(ends, 4);
}
END_TEST

/*
 * Flag values past 15 (unknown high bits, all-ones) against the oracle too. With all-ones
 * flags ERROR's requirement is met, so the kernel's loop does stop at ERROR and step 4
 * refuses: the hang needs a flags value short of all-ones.
 */
START_TEST(test_high_flags_vs_oracle)
{
	static const uint32_t high[] = { 0x10, 0x17, 0x80000007u, 0xfffffff9u, 0xffffffffu };
	unsigned int cases = 0, spins = 0;

	for (unsigned int i = 0; i < sizeof(high) / sizeof(high[0]); i++) {
		for (int cur = S_LO; cur <= S_HI; cur++) {
			for (int target = S_LO; target <= S_HI; target++, cases++) {
				spins += check_next_step(cur, target, high[i]);
				check_plan(cur, target, high[i]);
			}
		}
	}
	/* STOP_COPY -> PRE_COPY and -> PRE_COPY_P2P under 0x17 and 0x80000007 */
	ck_assert_uint_eq(spins, 4);
	ck_assert_uint_eq(cases, 5 * S_COUNT * S_COUNT);
}
END_TEST

/* The arc list agrees with the table: every single-step path the oracle plans is a gated arc. */
START_TEST(test_doc_arcs_match_table)
{
	for (uint32_t flags = K_F_STOP_COPY; flags <= K_F_KNOWN; flags += 2) {
		for (int from = 0; from < K_NSTATES; from++) {
			for (int to = 0; to < K_NSTATES; to++) {
				const struct doc_arc *a = doc_arc_find(from, to);
				struct k_path p;
				bool direct = oracle_plan(from, to, flags, &p) == 0 && p.len == 1;

				ck_assert_msg(direct == (a && doc_arc_gated_in(a, flags)),
					      "%s -> %s flags 0x%x: table %d, arc list %d",
					      k_name(from), k_name(to), flags, direct,
					      a && doc_arc_gated_in(a, flags));
			}
		}
	}
}
END_TEST

static Suite *fsm_suite(void)
{
	Suite *s = suite_create("fsm");
	TCase *oracle = tcase_create("oracle");
	TCase *data = tcase_create("reference-paths");
	TCase *validate = tcase_create("validate");
	TCase *names = tcase_create("names");
	TCase *arcs = tcase_create("arcs");

	tcase_add_test(oracle, test_next_step_vs_oracle);
	tcase_add_test(oracle, test_plan_vs_oracle);
	tcase_add_test(oracle, test_doc_arcs_match_table);
	tcase_add_test(oracle, test_high_flags_vs_oracle);
	tcase_add_test(data, test_reference_paths);
	tcase_add_test(validate, test_validate_exhaustive);
	tcase_add_test(validate, test_validate_rules);
	tcase_add_test(names, test_state_names);
	tcase_add_test(names, test_flags_str);
	tcase_add_test(names, test_flags_valid);
	tcase_add_test(names, test_state_supported);
	tcase_add_test(arcs, test_state_predicates);
	tcase_add_test(arcs, test_arc_predicates);
	suite_add_tcase(s, oracle);
	suite_add_tcase(s, data);
	suite_add_tcase(s, validate);
	suite_add_tcase(s, names);
	suite_add_tcase(s, arcs);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fsm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
