"""Signed ingest commits: the user's git signing key (SSH or GPG) on every
commit a writer makes, and git's own word on each signature.

Owns `sign_chain`, which turns a chain of commits (as `git fast-import`
wrote them, which cannot sign in git 2.39) into the same chain signed:
each commit is made again by `git commit-tree -S` with the same tree,
author, committer, dates and message, on the signed copy of its parent,
and is checked to be byte for byte the original apart from the `gpgsig`
header and that parent.  git signs (user.signingkey, gpg.format,
gpg.program, gpg.ssh.program...), so every kind of key git supports works.
Owns `wanted` (the store setting `provenance.sign`), `check_key` (a key is
configured, before anything is written), `git_ident` (an identity as git
writes it) and `commit_signatures` (git's verification of each commit, `%G?`).

It must never move a ref or change what a commit says: the writer moves
main, by compare-and-swap, to the tip `sign_chain` returns.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

from .errors import ProvenanceError

SETTING = "provenance.sign"  # `git config provenance.sign true` in the store: sign every commit

_IDENT_RE = re.compile(rb"^(.*) <(.*)> (\d+ [+-]\d{4})$")

# git's %G? -> what verify says.  U is a signature that checks out with a key
# git cannot vouch for (SSH: no principal in gpg.ssh.allowedSignersFile
# matched; GPG: a key of unknown trust).
STATUS = {"G": "good", "U": "unknown key", "X": "good (signature expired)", "Y": "good (key expired)",
          "R": "bad (key revoked)", "E": "unknown key", "B": "bad", "N": "unsigned"}


def wanted(env: dict[str, str]) -> bool:
    """The store's (or the user's) `provenance.sign` setting, read by git."""
    proc = subprocess.run(["git", "config", "--type=bool", "--get", SETTING], capture_output=True, env=env)
    if proc.returncode not in (0, 1):
        raise ProvenanceError(f"{SETTING} must be true or false: {_first(proc.stderr)}")
    return proc.stdout.strip() == b"true"


def check_key(env: dict[str, str]) -> None:
    """Refuse, before anything is written, to sign with no key at all: an
    SSH format without user.signingkey (or gpg.ssh.defaultKeyCommand), or a
    key file that is not there.  (GPG finds its key by the committer's
    identity; whether gpg can use it shows when git signs.)"""
    proc = subprocess.run(["git", "config", "-z", "--get-regexp", r"^(gpg\.format|user\.signingkey|gpg\.ssh\.defaultkeycommand)$"],
                          capture_output=True, env=env)
    values = dict(entry.split("\n", 1) for entry in proc.stdout.decode("utf-8", "replace").split("\0") if "\n" in entry)
    key = values.get("user.signingkey", "").strip()
    if values.get("gpg.format", "openpgp") == "ssh":
        if not key and not values.get("gpg.ssh.defaultkeycommand"):
            raise ProvenanceError("cannot sign: gpg.format is ssh but no user.signingkey is set "
                                  "(git config user.signingkey ~/.ssh/id_ed25519.pub)")
        literal = key.startswith(("key::", "ssh-", "ecdsa-", "sk-"))
        if key and not literal and not os.path.exists(os.path.expanduser(key)):
            raise ProvenanceError(f"cannot sign: the signing key {key} (user.signingkey) does not exist")


# What git strips from both ends of a name or an email it writes
# (ident.c, `crud`): a commit made with such an identity would not be
# the commit fast-import wrote.
_CRUD = "".join(chr(c) for c in range(33)) + ".,:;<>\"\\'"


def git_ident(name: str, email: str) -> tuple[str, str]:
    """(name, email) as `git commit-tree` writes them."""
    clean = name.strip(_CRUD), email.strip(_CRUD)
    if not clean[0] or not clean[1]:
        raise ProvenanceError(f"identity {name} <{email}> is empty once git tidies it; use a plain 'Name <email>'")
    return clean


def _first(data: bytes) -> str:
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0].strip() if lines else "git failed"


def _split(raw: bytes) -> tuple[list[bytes], bytes]:
    head, _, message = raw.partition(b"\n\n")
    return head.split(b"\n"), message


def unsigned_form(raw: bytes) -> bytes:
    """A commit object without its gpgsig header (and its continuation lines)."""
    lines, message = _split(raw)
    out, skipping = [], False
    for line in lines:
        if line.startswith((b"gpgsig ", b"gpgsig-sha256 ")):
            skipping = True
            continue
        if skipping and line.startswith(b" "):
            continue
        skipping = False
        out.append(line)
    return b"\n".join(out) + b"\n\n" + message


def _cat_commits(env: dict[str, str], shas: list[str]) -> dict[str, bytes]:
    proc = subprocess.run(["git", "cat-file", "--batch"], input=("\n".join(shas) + "\n").encode(),
                          capture_output=True, env=env)
    out, pos, found = proc.stdout, 0, {}
    for sha in shas:
        eol = out.find(b"\n", pos)
        header = out[pos:eol].split()
        if len(header) != 3 or header[1] != b"commit":
            raise ProvenanceError(f"cannot read commit {sha[:12]} to sign it (the store may be damaged: "
                                  "run `provenance verify`)")
        size = int(header[2])
        found[sha] = out[eol + 1:eol + 1 + size]
        pos = eol + 1 + size + 1
    return found


def sign_chain(env: dict[str, str], shas: list[str]) -> list[str]:
    """The commits `shas` (oldest first, each the parent of the next, as one
    fast-import wrote them) made again, signed; returns their ids, in order.
    The first keeps its parent; each later one gets the signed copy of its
    own.  Raises ProvenanceError, having moved nothing, if git cannot sign
    (no key configured, a key git cannot use) or would write a commit that
    differs in anything but the signature."""
    raws = _cat_commits(env, shas)
    signed: dict[str, str] = {}
    wants: dict[str, tuple[str, bytes]] = {}
    out = []
    for sha in shas:
        raw = raws[sha]
        lines, message = _split(raw)
        fields: dict[bytes, list[bytes]] = {}
        for line in lines:
            key, _, value = line.partition(b" ")
            fields.setdefault(key, []).append(value)
        parents = [signed.get(p.decode(), p.decode()) for p in fields.get(b"parent", [])]
        author = _IDENT_RE.match(fields[b"author"][0])
        committer = _IDENT_RE.match(fields[b"committer"][0])
        if not (author and committer and len(fields.get(b"tree", [])) == 1) or set(fields) - {
                b"tree", b"parent", b"author", b"committer"}:
            raise ProvenanceError(f"cannot sign commit {sha[:12]}: unexpected header")
        e = dict(env)
        for who, m in (("AUTHOR", author), ("COMMITTER", committer)):
            e[f"GIT_{who}_NAME"] = m.group(1).decode("utf-8", "surrogateescape")
            e[f"GIT_{who}_EMAIL"] = m.group(2).decode("utf-8", "surrogateescape")
            e[f"GIT_{who}_DATE"] = m.group(3).decode()
        args = ["git", "-c", "i18n.commitEncoding=UTF-8", "commit-tree", "-S", fields[b"tree"][0].decode()]
        for parent in parents:
            args += ["-p", parent]
        proc = subprocess.run(args, input=message, capture_output=True, env=e)
        if proc.returncode != 0:
            raise ProvenanceError(f"cannot sign the commit with your git signing key: {_first(proc.stderr)} "
                                  "(set user.signingkey, and gpg.format=ssh for an SSH key)")
        new = proc.stdout.decode().strip()
        want = raw
        for old_parent, parent in zip(fields.get(b"parent", []), parents):
            want = want.replace(b"\nparent " + old_parent + b"\n", b"\nparent " + parent.encode() + b"\n", 1)
        wants[new] = (sha, want)
        signed[sha] = new
        out.append(new)
    # Each signed commit is the original but for the signature (and its parent's id).
    for new, made in _cat_commits(env, out).items():
        sha, want = wants[new]
        if unsigned_form(made) != want or made == want:
            raise ProvenanceError(f"cannot sign commit {sha[:12]}: git would not write it as it is "
                                  "(an identity git rewrites? use a plain 'Name <email>')")
    return out


@dataclass(frozen=True)
class CommitSignature:
    commit: str
    subject: str
    status: str  # one of STATUS's values
    code: str  # git's %G? letter
    key: str  # the key's fingerprint or id, where git names it
    signer: str  # the signer git found (principal or user id), where it did

    def to_dict(self) -> dict:
        return {"commit": self.commit, "subject": self.subject, "status": self.status, "git": self.code,
                "key": self.key, "signer": self.signer}


def commit_signatures(env: dict[str, str], tip: str | None) -> list[CommitSignature]:
    """git's verdict on every commit of `tip`'s history, oldest first.  A
    commit that carries a signature git could not check at all (SSH without
    gpg.ssh.allowedSignersFile gives N) is an unknown key, never unsigned."""
    if tip is None:
        return []
    proc = subprocess.run(["git", "log", "--reverse", "-z", "--format=%H%x01%G?%x01%GK%x01%GS%x01%s", tip],
                          capture_output=True, env=env)
    rows = [r.split("\x01") for r in proc.stdout.decode("utf-8", "replace").split("\0") if r.strip()]
    unsure = [r[0].strip() for r in rows if r[1] == "N"]
    carries = {sha for sha, raw in _cat_commits(env, unsure).items()
               if unsigned_form(raw) != raw} if unsure else set()
    out = []
    for sha, code, key, signer, subject in ((r + [""] * 5)[:5] for r in rows):
        sha = sha.strip()
        if code == "N" and sha in carries:
            code = "E"
        out.append(CommitSignature(sha, subject, STATUS.get(code, "unknown key"), code, key, signer))
    return out
