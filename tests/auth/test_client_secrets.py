"""OAuth client secrets: stored as salted digests, checked against every stored secret."""

from __future__ import annotations

import time

from scim.auth.client_secrets import matches, new_secret


def test_a_fresh_secret_matches_what_is_stored_of_it():
    secret, stored = new_secret()

    assert matches(secret, (stored,))


def test_what_is_stored_does_not_contain_the_secret():
    secret, stored = new_secret()

    assert secret not in repr(stored.to_json())


def test_the_same_secret_stored_twice_has_different_digests():
    _, first = new_secret()
    _, second = new_secret()

    assert first.salt != second.salt and first.sha256 != second.sha256


def test_an_expired_secret_does_not_match():
    secret, stored = new_secret(days=1, now=time.time() - 2 * 86400)

    assert not matches(secret, (stored,))


def test_either_of_two_secrets_matches_during_a_rotation():
    old, old_stored = new_secret()
    new, new_stored = new_secret()

    assert matches(old, (old_stored, new_stored)) and matches(new, (old_stored, new_stored))


def test_nothing_matches_a_client_without_secrets():
    assert not matches("anything", ())
