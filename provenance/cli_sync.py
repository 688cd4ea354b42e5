"""The sync commands (remote, pull, push, sync, clone): a thin click layer over
provenance/store/sync.py, registered on the `provenance` group by cli.py.

Owns: parsing and printing.  Never: talks to git itself.
"""

from __future__ import annotations

import click



def _store_option(f):
    # (cli.py's, repeated: this module must not import cli.py at load time,
    # which imports it, or `python -m provenance.cli` would load cli.py twice)
    return click.option("--store", "store_path", type=click.Path(file_okay=False), default=None,
                        help="Store location (default: $PROVENANCE_STORE or ./store).")(f)


def _open_store(ctx, store_path):
    from .cli import _open_store as open_store

    return open_store(ctx, store_path)


def _dump(data) -> None:
    from .cli import _dump as dump

    dump(data)


def _store_path(ctx, store_path):
    from .cli import _store_path as store_path_of

    return store_path_of(ctx, store_path)


def _sync(store):
    return store.sync


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "(empty)"


def _say_pull(r) -> None:
    if r.action == "empty-remote":
        click.echo(f"pull {r.remote}: the remote is empty, nothing to pull")
    elif r.action == "up-to-date":
        click.echo(f"pull {r.remote}: up to date (main {_short(r.after)})")
    else:
        plural = "version" if r.versions_added == 1 else "versions"
        how = "fast-forward" if r.action == "fast-forward" else f"merge commit {_short(r.after)}"
        click.echo(f"pull {r.remote}: {r.versions_added} {plural} arrived, verified; "
                   f"main {_short(r.before)} -> {_short(r.after)} ({how})")
    for note in r.notes:
        click.echo(f"note: {note}")


def _say_push(r) -> None:
    if r.action == "nothing":
        click.echo(f"push {r.remote}: this store is empty, nothing to push")
    elif r.action == "up-to-date":
        click.echo(f"push {r.remote}: up to date (main {_short(r.after)})")
    else:
        plural = "version" if r.versions_added == 1 else "versions"
        retried = f" after {r.attempts} attempts" if r.attempts > 1 else ""
        click.echo(f"push {r.remote}: {r.versions_added} {plural} pushed{retried}; {r.remote}/main is {_short(r.after)}")


@click.group(invoke_without_command=True)
@click.option("-v", "--verbose", is_flag=True, help="Show each remote's URL.")
@click.option("--json", "as_json", is_flag=True, help="Print the remotes as JSON.")
@_store_option
@click.pass_context
def remote(ctx, verbose, as_json, store_path):
    """List the store's remotes, or add or remove one.

    \b
      provenance remote add origin ssh://git@example.org/newsroom/archive.git
      provenance remote -v
      provenance remote remove origin

    A remote is any git URL: a path, file://, ssh or https.  Passwords are
    never stored: git's credential helpers supply them.
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {**(ctx.obj or {}), **({"store": store_path} if store_path else {})}
        return
    with _open_store(ctx, store_path) as store:
        remotes = _sync(store).remotes()
    if as_json:
        _dump([r.to_dict() for r in remotes])
        return
    for r in remotes:
        click.echo(f"{r.name}\t{r.url}" if verbose else r.name)


@remote.command("add")
@click.argument("name")
@click.argument("url")
@_store_option
@click.pass_context
def remote_add(ctx, name, url, store_path):
    """Add a remote: provenance remote add origin /srv/archive.git"""
    with _open_store(ctx, store_path) as store:
        r = _sync(store).add_remote(name, url)
    click.echo(f"remote {r.name} added: {r.url}")


@remote.command("remove")
@click.argument("name")
@_store_option
@click.pass_context
def remote_remove(ctx, name, store_path):
    """Remove a remote (the store's own history is untouched): provenance remote remove origin"""
    with _open_store(ctx, store_path) as store:
        _sync(store).remove_remote(name)
    click.echo(f"remote {name} removed")


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print what happened as JSON.")
@_store_option
@click.pass_context
def pull(ctx, name, as_json, store_path):
    """Fetch a remote's history, verify it and join it to this store's.

    \b
      provenance pull            # origin, or the only remote
      provenance pull laptop

    Every version on both sides is kept; histories that diverged are joined
    by a merge commit.  A remote that rewrote what it or this store had
    before is refused, and so is anything that does not verify; then
    nothing here changes.
    """
    with _open_store(ctx, store_path) as store:
        result = _sync(store).pull(name)
    if as_json:
        _dump(result.to_dict())
    else:
        _say_pull(result)


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print what happened as JSON.")
@_store_option
@click.pass_context
def push(ctx, name, as_json, store_path):
    """Send this store's history to a remote (atomic, never forced).

    \b
      provenance push            # origin, or the only remote

    If the remote moved on meanwhile, its history is pulled and joined first,
    then the push is tried again (10 attempts in all).
    """
    with _open_store(ctx, store_path) as store:
        result = _sync(store).push(name)
    if as_json:
        _dump(result.to_dict())
    else:
        _say_push(result)


@click.command("sync")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print what happened as JSON.")
@_store_option
@click.pass_context
def sync_command(ctx, name, as_json, store_path):
    """Pull, then push: both sides end with every version.

    \b
      provenance sync            # origin, or the only remote
    """
    with _open_store(ctx, store_path) as store:
        pulled, pushed = _sync(store).sync(name)
    if as_json:
        _dump({"pull": pulled.to_dict(), "push": pushed.to_dict()})
    else:
        _say_pull(pulled)
        _say_push(pushed)


@click.command()
@click.argument("url")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--lazy", is_flag=True,
              help="A partial clone: metadata and texts now, each raw snapshot when it is read (git --filter=blob:none).")
@click.option("--json", "as_json", is_flag=True, help="Print what happened as JSON.")
@click.pass_context
def clone(ctx, url, path, lazy, as_json):
    """Make a new store from a remote (its remote is called origin).

    \b
      provenance clone ssh://git@example.org/newsroom/archive.git store
      provenance clone --lazy https://git.example.org/archive.git reader-store

    PATH defaults to --store, $PROVENANCE_STORE or ./store.
    """
    from .store import Store

    target = path or _store_path(ctx, None)
    store, result = Store.clone(url, target, lazy=lazy)
    with store:
        count = len(store.documents())
    if as_json:
        _dump({"store": str(store.path), "documents": count, "lazy": lazy, **result.to_dict()})
        return
    click.echo(f"cloned {url} into {store.path}: {count} document{'s' if count != 1 else ''}"
               f"{' (lazy: raw snapshots are fetched when read)' if lazy else ''}")
    for note in result.notes:
        if not note.startswith("partial clone:"):
            click.echo(f"note: {note}")


COMMANDS = (remote, pull, push, sync_command, clone)  # cli.py adds them to `provenance`
