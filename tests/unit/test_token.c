/*
 * test_token.c - daemon/migrate/token: token format and randomness, constant-time equality
 * (results only: timing is not measured), and the identity binding rule as a table.
 */
#include <check.h>
#include <string.h>

#include "token.h"

START_TEST(test_token_format)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];

	ck_assert_int_eq(token_new(a), 0);
	ck_assert_int_eq(token_new(b), 0);
	ck_assert_uint_eq(strlen(a), 32);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 32);
	/* 128 random bits: two in a row are never equal */
	ck_assert_str_ne(a, b);
}
END_TEST

/* Every hex digit shows up in a few tokens: the encoding uses the whole alphabet. */
START_TEST(test_token_alphabet)
{
	char seen[17] = "", t[TOKEN_LEN + 1];

	for (int i = 0; i < 64 && strlen(seen) < 16; i++) {
		ck_assert_int_eq(token_new(t), 0);
		for (int k = 0; k < TOKEN_LEN; k++)
			if (!strchr(seen, t[k]))
				seen[strlen(seen)] = t[k];
	}
	ck_assert_uint_eq(strlen(seen), 16);
}
END_TEST

START_TEST(test_token_equal)
{
	ck_assert(token_equal("abc", "abc"));
	ck_assert(token_equal("", ""));
	ck_assert(!token_equal("abc", "abd"));
	ck_assert(!token_equal("abc", "ab"));
	ck_assert(!token_equal("ab", "abc"));
	ck_assert(!token_equal("", "a"));
	ck_assert(!token_equal("xbc", "abc"));
}
END_TEST

static const struct {
	const char *bound, *identity;
	bool match;
} identity_cases[] = {
	{ "dns:hosta.test", "dns:hosta.test", true },
	{ "hosta.test", "dns:hosta.test", true },
	{ "HostA.Test", "dns:hosta.test", true },
	{ "dns:HOSTA.test", "dns:hosta.test", true },
	{ "dns:hostb.test", "dns:hosta.test", false },
	{ "hosta", "dns:hosta.test", false },
	{ "uri:spiffe://x/y", "uri:spiffe://x/y", true },
	{ "spiffe://x/y", "uri:spiffe://x/y", false },
	{ "uri:spiffe://x/Y", "uri:spiffe://x/y", false },
	{ "sha256:ab", "sha256:ab", true },
	{ "hosta.test", "uri:hosta.test", false },
	{ "uri:hosta.test", "dns:hosta.test", false },
	{ "", "dns:hosta.test", false },
	{ "dns:hosta.test", "", false },
};

START_TEST(test_identity_match)
{
	ck_assert_msg(token_identity_match(identity_cases[_i].bound, identity_cases[_i].identity) ==
			      identity_cases[_i].match,
		      "bound '%s' vs identity '%s'", identity_cases[_i].bound,
		      identity_cases[_i].identity);
}
END_TEST

START_TEST(test_identity_valid)
{
	char longest[257];

	ck_assert(token_identity_valid("dns:hosta.test"));
	ck_assert(token_identity_valid("hosta"));
	ck_assert(!token_identity_valid(""));
	ck_assert(!token_identity_valid("dns:a b"));
	ck_assert(!token_identity_valid("dns:a\tb"));
	ck_assert(!token_identity_valid("dns:\x7f"));
	memset(longest, 'a', 255);
	longest[255] = '\0';
	ck_assert(token_identity_valid(longest));
	longest[255] = 'a';
	longest[256] = '\0';
	ck_assert(!token_identity_valid(longest));
}
END_TEST

static Suite *token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("token");

	tcase_add_test(tc, test_token_format);
	tcase_add_test(tc, test_token_alphabet);
	tcase_add_test(tc, test_token_equal);
	tcase_add_loop_test(tc, test_identity_match, 0,
			    sizeof(identity_cases) / sizeof(identity_cases[0]));
	tcase_add_test(tc, test_identity_valid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(token_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
