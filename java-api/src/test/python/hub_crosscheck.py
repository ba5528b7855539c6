"""huggingface_hub's side of the cache cross-checks with peft4j's HubClient.

Called from Java through the bridge (``PythonRuntime.call("hub_crosscheck", ...)``). Every function
takes the cache directory explicitly, so the checks do not depend on environment variables read
when huggingface_hub was imported.
"""

import hashlib
import os

from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_offline(cache_dir, repo_id, filename, revision):
    """The path huggingface_hub finds for a file without any request, and the sha256 of its bytes."""
    path = hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir, local_files_only=True)
    return [path, _sha256(path)]


def snapshot_offline(cache_dir, repo_id, revision):
    """The snapshot folder huggingface_hub finds without any request."""
    return snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, local_files_only=True)


def download(endpoint, cache_dir, repo_id, filename, revision):
    """Downloads one file from ``endpoint`` into ``cache_dir`` anonymously; returns its path."""
    return hf_hub_download(repo_id, filename, revision=revision, cache_dir=cache_dir, endpoint=endpoint, token=False)


def scan(cache_dir):
    """What huggingface_hub's cache scanner sees: warnings, then per repo its id, refs and files."""
    info = scan_cache_dir(cache_dir)
    repos = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        refs = sorted(ref for rev in repo.revisions for ref in rev.refs)
        files = sorted(os.path.relpath(str(f.file_path), str(rev.snapshot_path)) for rev in repo.revisions for f in rev.files)
        repos.append([repo.repo_id, refs, files])
    return [[str(w) for w in info.warnings], repos]


def search_ids(endpoint, search=None, author=None, filters=(), sort=None, limit=None):
    """Model ids huggingface_hub's list_models returns for the same query (it follows Link pages too)."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=False)
    models = api.list_models(search=search, author=author, filter=list(filters) or None, sort=sort, limit=limit)
    return [m.id for m in models]


def upload_folder(endpoint, token, folder, repo_id):
    """Pushes a folder the way push_to_hub does without hf_xet (LocalHub speaks LFS, not Xet); returns the commit hash."""
    from huggingface_hub import HfApi, constants

    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, exist_ok=True)
    disabled = constants.HF_HUB_DISABLE_XET
    constants.HF_HUB_DISABLE_XET = True
    try:
        return api.upload_folder(folder_path=folder, repo_id=repo_id).oid
    finally:
        constants.HF_HUB_DISABLE_XET = disabled


def verify(endpoint, cache_dir, repo_id, revision):
    """huggingface_hub's own check of a cached snapshot (sha256 of LFS files, git blob sha1 of the others).

    Returns the number of files checked, the paths that mismatch, and the paths missing locally.
    """
    from huggingface_hub import HfApi

    result = HfApi(endpoint=endpoint, token=False).verify_repo_checksums(repo_id, revision=revision, cache_dir=cache_dir)
    return [result.checked_count, [m["path"] for m in result.mismatches], list(result.missing_paths)]
