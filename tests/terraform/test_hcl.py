"""Structure and security assertions on terraform/, read with python-hcl2 (no providers).

Owns the rules checkov does not know about this project: the output contract in
terraform/OUTPUTS.md holds for both clouds and their fixtures, every variable is documented and
typed, SSH is never open to the internet, app machines have no public address, IMDSv2 and
encrypted volumes everywhere, and every checkov skip carries a reason. The variable validations
are exercised through `terraform plan` on a copy of variables.tf (no provider needed), skipped
when no terraform binary is installed.

Run by tests/terraform/check.sh; alone: `python -m pytest -q tests/terraform/test_hcl.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
TF = REPO / "terraform"
CLOUDS = ("gcp", "aws")
FIXTURES = REPO / "tests" / "terraform" / "fixtures"
ALL_TF_DIRS = [TF / "gcp", TF / "aws", TF / "modules" / "inventory_outputs"]
ANYWHERE = {"0.0.0.0/0", "::/0"}

_OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)


def parse_dir(folder: Path) -> dict[str, list]:
    """All top-level blocks of a folder's .tf files: {"resource": [(file, {...}), ...], ...}."""
    merged: dict[str, list] = {}
    files = sorted(folder.glob("*.tf"))
    assert files, f"no .tf files in {folder}"
    for path in files:
        with path.open() as f:
            try:
                doc = hcl2.load(f, serialization_options=_OPTIONS)
            except Exception as e:  # the parser raises several lark error types
                pytest.fail(f"{path.relative_to(REPO)}: cannot parse: {e}")
        for kind, blocks in doc.items():
            merged.setdefault(kind, []).extend((path.relative_to(REPO), b) for b in blocks)
    return merged


def resources(parsed: dict, rtype: str) -> list[tuple[str, str, dict]]:
    """(file, name, body) of every resource of one type."""
    found = []
    for path, block in parsed.get("resource", []):
        for kind, named in block.items():
            if kind == rtype:
                found.extend((str(path), name, body) for name, body in named.items())
    return found


def named_blocks(parsed: dict, kind: str) -> dict[str, tuple[str, dict]]:
    """{name: (file, body)} of variable/output blocks."""
    out = {}
    for path, block in parsed.get(kind, []):
        for name, body in block.items():
            out[name] = (str(path), body)
    return out


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def blocks_of(body: dict, name: str) -> list[dict]:
    """Nested blocks `name`, plus the content of `dynamic "name"` blocks."""
    found = [b for b in as_list(body.get(name)) if isinstance(b, dict)]
    for dyn in as_list(body.get("dynamic")):
        for label, dbody in dyn.items():
            if label == name:
                found.extend(as_list(dbody.get("content")))
    return found


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    return {cloud: parse_dir(TF / cloud) for cloud in CLOUDS}


# --- the output contract -------------------------------------------------------------------


def documented_outputs() -> list[str]:
    """Names in the table under '## Top-level outputs' of terraform/OUTPUTS.md."""
    text = (TF / "OUTPUTS.md").read_text()
    section = re.search(r"^## Top-level outputs\n(.*?)(?=^##)", text, re.S | re.M)
    assert section, "terraform/OUTPUTS.md has no '## Top-level outputs' section"
    names = re.findall(r"^\| `([a-z_]+)` \|", section.group(1), re.M)
    assert names, "the '## Top-level outputs' table of terraform/OUTPUTS.md lists no output"
    return names


def documented_keys(heading: str) -> list[str]:
    """Key names in the table under a '### <heading>' of terraform/OUTPUTS.md."""
    text = (TF / "OUTPUTS.md").read_text()
    section = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^##)", text, re.S | re.M)
    assert section, f"terraform/OUTPUTS.md has no '### {heading}' section"
    return re.findall(r"^\| `([a-z_]+)` \|", section.group(1), re.M)


def load_fixture(cloud: str) -> dict:
    return json.loads((FIXTURES / f"{cloud}-outputs.json").read_text())


@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_documented_output_exists_and_nothing_else(parsed, cloud):
    outputs = named_blocks(parsed[cloud], "output")
    assert sorted(outputs) == sorted(documented_outputs()), (
        f"terraform/{cloud} outputs {sorted(outputs)} differ from the table in "
        f"terraform/OUTPUTS.md {sorted(documented_outputs())}: add or document the output"
    )


@pytest.mark.parametrize("cloud", CLOUDS)
def test_outputs_come_from_the_shared_module(parsed, cloud):
    modules = {
        name: body
        for _, block in parsed[cloud].get("module", [])
        for name, body in block.items()
    }
    assert modules.get("inventory", {}).get("source") == "../modules/inventory_outputs", (
        f"terraform/{cloud}: module \"inventory\" must use ../modules/inventory_outputs"
    )
    assert modules["inventory"].get("cloud") == cloud
    for name, (path, body) in named_blocks(parsed[cloud], "output").items():
        assert body.get("description"), f"{path}: output {name!r} has no description"
        assert body.get("value") == f"${{module.inventory.{name}}}", (
            f"{path}: output {name!r} must be module.inventory.{name}, so both clouds share one shape"
        )


@pytest.mark.parametrize("cloud", CLOUDS)
def test_fixture_generator_mirrors_the_real_outputs(parsed, cloud):
    gen = parse_dir(FIXTURES / "gen" / cloud)
    real = {n: b["value"] for n, (_, b) in named_blocks(parsed[cloud], "output").items()}
    fake = {n: b["value"] for n, (_, b) in named_blocks(gen, "output").items()}
    assert real == fake, f"fixtures/gen/{cloud}/main.tf outputs differ from terraform/{cloud}/outputs.tf"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_fixture_has_the_documented_shape(cloud):
    doc = load_fixture(cloud)
    assert sorted(doc) == sorted(documented_outputs())
    for name, out in doc.items():
        assert set(out) == {"sensitive", "type", "value"}, f"{cloud} fixture: {name} is not an output document"
        assert out["sensitive"] is False
    assert doc["cloud"]["value"] == cloud
    bastion = doc["bastion"]["value"]
    assert sorted(bastion) == sorted(documented_keys("bastion"))
    assert bastion["user"] == doc["ssh_user"]["value"]
    common = documented_keys("vms: keys on both clouds")
    aws_only = documented_keys("vms: AWS-only keys")
    vms = doc["vms"]["value"]
    assert vms, f"{cloud} fixture has no VM"
    assert [v["name"] for v in vms] == sorted(v["name"] for v in vms), "vms must be sorted by name"
    for vm in vms:
        expected = common + (aws_only if cloud == "aws" else [])
        assert sorted(vm) == sorted(expected), f"{cloud} fixture VM {vm.get('name')} keys {sorted(vm)}"
        assert {"role", "env", "service"} <= set(vm["labels"])
    inventory = doc["play_inventory"]["value"]["all"]
    assert inventory["vars"]["ansible_user"] == doc["ssh_user"]["value"]
    for vm in vms:
        role_hosts = inventory["children"][vm["labels"]["role"]]["hosts"]
        assert role_hosts[vm["name"]]["ansible_host"] == vm["private_ip"]
        assert bastion["public_ip"] in role_hosts[vm["name"]]["ansible_ssh_common_args"]


def test_both_clouds_share_the_common_shape():
    gcp, aws = load_fixture("gcp"), load_fixture("aws")
    common = set(documented_keys("vms: keys on both clouds"))
    assert gcp["bastion"]["type"] == aws["bastion"]["type"], "bastion must have one type on both clouds"
    assert set(gcp["vms"]["value"][0]) == common
    assert set(aws["vms"]["value"][0]) & common == common


@pytest.mark.parametrize("cloud", CLOUDS)
def test_outputs_md_embeds_the_fixture(cloud):
    text = (TF / "OUTPUTS.md").read_text()
    match = re.search(rf"<!-- {cloud}-outputs.json -->\n```json\n(.*?)\n```", text, re.S)
    assert match, f"terraform/OUTPUTS.md must embed fixtures/{cloud}-outputs.json after '<!-- {cloud}-outputs.json -->'"
    assert json.loads(match.group(1)) == load_fixture(cloud), (
        f"the {cloud} example in terraform/OUTPUTS.md differs from tests/terraform/fixtures/{cloud}-outputs.json"
    )


# --- variables ------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ALL_TF_DIRS, ids=lambda p: str(p.relative_to(TF)))
def test_every_variable_has_description_and_type(folder):
    variables = named_blocks(parse_dir(folder), "variable")
    assert variables, f"{folder} declares no variable"
    for name, (path, body) in variables.items():
        assert str(body.get("description", "")).strip(), f"{path}: variable {name!r} has no description"
        assert body.get("type"), f"{path}: variable {name!r} has no type"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_ssh_cidrs_are_required_and_validated(parsed, cloud):
    variables = named_blocks(parsed[cloud], "variable")
    path, body = variables["allowed_ssh_cidrs"]
    assert "default" not in body, f"{path}: allowed_ssh_cidrs must have no default: the operator chooses"
    conditions = " ".join(v["condition"] for v in as_list(body.get("validation")))
    assert "allow_ssh_from_anywhere" in conditions and "/0" in conditions, (
        f"{path}: allowed_ssh_cidrs must refuse /0 unless allow_ssh_from_anywhere"
    )
    assert variables["allow_ssh_from_anywhere"][1].get("default") is False


# --- network exposure -----------------------------------------------------------------------


def covers_port(from_port, to_port, port: int) -> bool:
    """True unless both bounds are literal numbers that exclude `port` (unknowns count as open)."""
    try:
        return int(from_port) <= port <= int(to_port)
    except (TypeError, ValueError):
        return True


@pytest.mark.parametrize("cloud", CLOUDS)
def test_no_ssh_from_anywhere(parsed, cloud):
    p = parsed[cloud]
    for path, name, body in resources(p, "google_compute_firewall"):
        if str(body.get("direction", "INGRESS")).upper() != "INGRESS":
            continue
        opens_22 = any(
            not allow.get("ports") or any(covers_port(*(str(x).split("-") * 2)[:2], 22) for x in as_list(allow["ports"]))
            for allow in blocks_of(body, "allow")
        )
        sources = set(as_list(body.get("source_ranges")))
        assert not (opens_22 and sources & ANYWHERE), f"{path}: firewall {name} opens port 22 to the internet"
    for path, name, body in resources(p, "aws_security_group"):
        for rule in blocks_of(body, "ingress"):
            cidrs = set(as_list(rule.get("cidr_blocks"))) | set(as_list(rule.get("ipv6_cidr_blocks")))
            opens_22 = str(rule.get("protocol")) in ("-1", "tcp", "6", "all") and covers_port(
                rule.get("from_port"), rule.get("to_port"), 22
            )
            assert not (opens_22 and cidrs & ANYWHERE), f"{path}: security group {name} opens port 22 to the internet"
    for path, name, body in resources(p, "aws_security_group_rule"):
        cidrs = set(as_list(body.get("cidr_blocks"))) | set(as_list(body.get("ipv6_cidr_blocks")))
        if body.get("type") == "ingress" and covers_port(body.get("from_port"), body.get("to_port"), 22):
            assert not cidrs & ANYWHERE, f"{path}: security group rule {name} opens port 22 to the internet"
    for path, name, body in resources(p, "aws_vpc_security_group_ingress_rule"):
        cidrs = {body.get("cidr_ipv4"), body.get("cidr_ipv6")}
        if covers_port(body.get("from_port"), body.get("to_port"), 22):
            assert not cidrs & ANYWHERE, f"{path}: ingress rule {name} opens port 22 to the internet"


def test_gcp_ssh_to_vms_only_from_the_bastion(parsed):
    found = {name: body for _, name, body in resources(parsed["gcp"], "google_compute_firewall")}
    rule = found["ssh_from_bastion"]
    assert rule["source_service_accounts"] == ["${google_service_account.bastion.email}"]
    assert rule["target_service_accounts"] == ["${google_service_account.vm.email}"]
    bastion_rule = found["ssh_to_bastion"]
    assert bastion_rule["source_ranges"] == "${var.allowed_ssh_cidrs}"
    assert bastion_rule["target_tags"] == ["${local.bastion_tag}"]


def test_aws_ssh_to_vms_only_from_the_bastion(parsed):
    aws = parsed["aws"]
    assert not any(
        blocks_of(body, "ingress") or blocks_of(body, "egress") for _, _, body in resources(aws, "aws_security_group")
    ), "terraform/aws: security groups keep their rules in aws_vpc_security_group_*_rule resources, not inline"
    ingress = {name: (path, body) for path, name, body in resources(aws, "aws_vpc_security_group_ingress_rule")}
    assert sorted(ingress) == ["ssh_to_bastion", "vm_from_bastion"], f"unexpected ingress rules {sorted(ingress)}"
    path, to_bastion = ingress["ssh_to_bastion"]
    assert to_bastion["security_group_id"] == "${aws_security_group.bastion.id}"
    assert to_bastion["for_each"] == "${toset(var.allowed_ssh_cidrs)}" and to_bastion["cidr_ipv4"] == "${each.value}", (
        f"{path}: SSH to the bastion must come from allowed_ssh_cidrs only"
    )
    path, to_vms = ingress["vm_from_bastion"]
    assert to_vms["security_group_id"] == "${aws_security_group.vm.id}"
    assert to_vms["referenced_security_group_id"] == "${aws_security_group.bastion.id}", (
        f"{path}: the instances must accept SSH from the bastion's security group only"
    )
    assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(to_vms), f"{path}: no address ranges into the instances"


def test_aws_security_group_descriptions_use_allowed_characters(parsed):
    # EC2 rejects other characters (an apostrophe, say) in these descriptions at apply time.
    allowed = re.compile(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*")
    for rtype in ("aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        for path, name, body in resources(parsed["aws"], rtype):
            literal = re.sub(r"\$\{[^}]*\}", "", str(body.get("description", "")))
            assert allowed.fullmatch(literal), f"{path}: {rtype}.{name} description {literal!r} has characters EC2 refuses"


def test_gcp_vms_have_no_public_address(parsed):
    for path, name, body in resources(parsed["gcp"], "google_compute_instance"):
        interfaces = as_list(body.get("network_interface"))
        assert interfaces, f"{path}: instance {name} has no network_interface"
        has_public = any(i.get("access_config") is not None for i in interfaces)
        if name == "bastion":
            assert has_public, f"{path}: the bastion needs its public address"
        else:
            assert not has_public, f"{path}: instance {name} must not have an access_config (public IP)"


def test_aws_vms_have_no_public_address(parsed):
    for path, name, body in resources(parsed["aws"], "aws_instance"):
        assert body.get("associate_public_ip_address") is False, (
            f"{path}: aws_instance.{name} must set associate_public_ip_address = false"
        )
        if name != "bastion":
            assert "aws_subnet.private" in body.get("subnet_id", ""), f"{path}: aws_instance.{name} must sit in a private subnet"
    for path, name, body in resources(parsed["aws"], "aws_subnet"):
        assert body.get("map_public_ip_on_launch") is False, f"{path}: aws_subnet.{name} must not map public IPs"


# --- machines -------------------------------------------------------------------------------


def test_aws_imdsv2_required(parsed):
    instances = resources(parsed["aws"], "aws_instance") + resources(parsed["aws"], "aws_launch_template")
    assert instances
    for path, name, body in instances:
        (meta,) = as_list(body.get("metadata_options")) or [{}]
        assert meta.get("http_tokens") == "required", f"{path}: {name} must set metadata_options.http_tokens = \"required\" (IMDSv2)"


def test_aws_volumes_encrypted(parsed):
    for path, name, body in resources(parsed["aws"], "aws_instance"):
        roots = as_list(body.get("root_block_device"))
        assert roots, f"{path}: aws_instance.{name} must declare its root_block_device"
        for disk in roots + as_list(body.get("ebs_block_device")):
            assert disk.get("encrypted") is True, f"{path}: aws_instance.{name} has an unencrypted volume"
            assert disk.get("volume_type") == "gp3", f"{path}: aws_instance.{name} volumes must be gp3"
    for path, name, body in resources(parsed["aws"], "aws_ebs_volume"):
        assert body.get("encrypted") is True, f"{path}: aws_ebs_volume.{name} must be encrypted"


def test_gcp_instances_are_shielded_with_own_service_account(parsed):
    for path, name, body in resources(parsed["gcp"], "google_compute_instance"):
        (shielded,) = as_list(body.get("shielded_instance_config")) or [{}]
        for key in ("enable_secure_boot", "enable_vtpm", "enable_integrity_monitoring"):
            assert shielded.get(key) is True, f"{path}: instance {name} must set shielded_instance_config.{key}"
        (account,) = as_list(body.get("service_account")) or [{}]
        assert str(account.get("email", "")).startswith("${google_service_account."), (
            f"{path}: instance {name} must run as the fleet's own service account, not the default one"
        )
        assert body.get("can_ip_forward") is False
        metadata = body.get("metadata") or {}
        assert metadata.get("block-project-ssh-keys") == "TRUE", f"{path}: instance {name} must block project-wide SSH keys"
        assert metadata.get("serial-port-enable") == "FALSE", f"{path}: instance {name} must keep the serial port off"
        assert not any("disk_encryption_key_raw" in json.dumps(d) for d in as_list(body.get("boot_disk")))


def test_gcp_roles_are_the_least_set(parsed):
    (local_block,) = [b for _, b in parsed["gcp"]["locals"] if "service_account_roles" in b]
    roles = sorted(v["role"] for v in local_block["service_account_roles"].values())
    allowed = {"roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/artifactregistry.reader"}
    assert set(roles) <= allowed, f"terraform/gcp/iam.tf grants roles beyond {sorted(allowed)}: {roles}"


# --- checkov skips --------------------------------------------------------------------------


def test_every_checkov_skip_has_a_reason():
    skip = re.compile(r"#\s*checkov:skip=([^\s:]+)(?::(.*))?")
    seen = 0
    for path in sorted(TF.rglob("*.tf")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            match = skip.search(line)
            if match:
                seen += 1
                where = f"{path.relative_to(REPO)}:{lineno}"
                assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", match.group(1)), f"{where}: bad check id {match.group(1)!r}"
                assert len((match.group(2) or "").strip()) >= 30, f"{where}: skip of {match.group(1)} needs a real reason"
    assert seen, "expected the documented skips (the bastion's public IP) to be found"


# --- variable validations, through terraform itself -----------------------------------------

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="no terraform binary")


def plan_variables(cloud: str, **overrides) -> subprocess.CompletedProcess:
    """`terraform plan` of terraform/<cloud>/variables.tf alone: it needs no provider and runs
    every validation rule on the example tfvars plus `overrides` (given as HCL literals)."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(TF / cloud / "variables.tf", tmp)
        args = [TERRAFORM, "plan", "-input=false", "-no-color", "-lock=false", "-refresh=false",
                f"-var-file={TF / cloud / 'terraform.tfvars.example'}"]
        args += [f"-var={k}={v}" for k, v in overrides.items()]
        env = dict(os.environ, TF_CLI_CONFIG_FILE=os.environ.get("TF_CLI_CONFIG_FILE", "/dev/null"))
        return subprocess.run(args, cwd=tmp, env=env, capture_output=True, text=True, timeout=120)


REFUSED = [
    ("anywhere", {"allowed_ssh_cidrs": '["0.0.0.0/0"]'}, "opens the bastion's SSH to the whole internet"),
    ("anywhere among others", {"allowed_ssh_cidrs": '["10.0.0.0/8", "0.0.0.0/0"]'}, "whole internet"),
    ("empty", {"allowed_ssh_cidrs": "[]"}, "at least one range"),
    ("not a cidr", {"allowed_ssh_cidrs": '["office"]'}, "CIDR form"),
    ("host bits", {"allowed_ssh_cidrs": '["203.0.113.7/24"]'}, "no host bits"),
    ("ipv6", {"allowed_ssh_cidrs": '["2001:db8::/32"]'}, "IPv4"),
    ("bad key", {"ssh_public_key": "not-a-key"}, "ssh_public_key must be"),
    ("root user", {"ssh_user": "root"}, "other than root"),
    ("bad prefix", {"name_prefix": "Fleet_1"}, "name_prefix must be"),
    ("fractional count", {"vm_count": "1.5"}, "whole number"),
]


@needs_terraform
@pytest.mark.parametrize("cloud", CLOUDS)
def test_example_tfvars_pass_validation(cloud):
    result = plan_variables(cloud)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
@pytest.mark.parametrize("cloud", CLOUDS)
def test_ssh_from_anywhere_needs_the_explicit_switch(cloud):
    result = plan_variables(cloud, allowed_ssh_cidrs='["0.0.0.0/0"]', allow_ssh_from_anywhere="true")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("case,overrides,message", REFUSED, ids=[c[0] for c in REFUSED])
def test_bad_values_are_refused(cloud, case, overrides, message):
    result = plan_variables(cloud, **overrides)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, f"{case}: terraform accepted {overrides}"
    assert message in output, f"{case}: expected {message!r} in:\n{output}"
