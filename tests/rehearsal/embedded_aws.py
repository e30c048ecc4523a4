"""The embedded AWS: moto's server (with the WorkSpaces extensions) and the
local HTTPS endpoint for CloudFormation's responses."""

from __future__ import annotations

import io
import json
import logging
import socket
import tempfile
import urllib.request
import uuid
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from cdk_workspace_image.runtime.contract import ENV_REHEARSAL_ENDPOINT
from tests.rehearsal import fake_workspaces
from tests.rehearsal.lambda_process import LambdaFunction
from tests.rehearsal.response_endpoint import ResponseEndpoint

ACCOUNT_ID = fake_workspaces.ACCOUNT_ID
REGION = fake_workspaces.REGION
# The second Region the embedded AWS serves (for CopyWorkspaceImage); moto keeps
# each Region's state apart, by the Region a request is signed for.
SECOND_REGION = fake_workspaces.SECOND_REGION


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _asset_dir(cdk_out: Path, stack_name: str, s3_key: str) -> Path:
    """Where cdk.out staged the asset that the template's S3Key names."""
    manifest = json.loads((cdk_out / f"{stack_name}.assets.json").read_text())
    asset_hash = s3_key.split(".")[0]
    return cdk_out / manifest["files"][asset_hash]["source"]["path"]


def _runtime_logging_environment(logging_config: dict[str, str]) -> dict[str, str]:
    """What Lambda tells the runtime of a function's LoggingConfig, as it does."""
    env = {"AWS_LAMBDA_LOG_FORMAT": logging_config.get("LogFormat", "Text")}
    if "ApplicationLogLevel" in logging_config:
        env["AWS_LAMBDA_LOG_LEVEL"] = logging_config["ApplicationLogLevel"]
    return env


def new_stack_id(stack_name: str, region: str = REGION) -> str:
    """A StackId as CloudFormation makes one: the stack's name and a fresh UUID."""
    return f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/{uuid.uuid4()}"


def pseudo_parameters(region: str = REGION, stack_id: str = "") -> dict[str, str]:
    """What CloudFormation's pseudo parameters are for a stack of this account in ``region``."""
    parameters = {
        "AWS::Partition": "aws",
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::URLSuffix": "amazonaws.com",
    }
    if stack_id:
        parameters["AWS::StackId"] = stack_id
        parameters["AWS::StackName"] = stack_id.split("/")[1]
    return parameters


def _pseudo(value: Any, stack_id: str, region: str = REGION) -> Any:
    """Resolve the pseudo parameters and functions a template uses for ARNs and names."""
    pseudo = pseudo_parameters(region, stack_id)
    resolve = partial(_pseudo, stack_id=stack_id, region=region)
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in pseudo:
        return pseudo[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        delimiter, parts = value["Fn::Join"]
        return str(delimiter).join(str(resolve(part)) for part in parts)
    if isinstance(value, dict) and set(value) == {"Fn::Split"}:
        delimiter, source = value["Fn::Split"]
        return str(resolve(source)).split(delimiter)
    if isinstance(value, dict) and set(value) == {"Fn::Select"}:
        index, items = value["Fn::Select"]
        return resolve(items)[int(index)]
    if isinstance(value, dict):
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value


class EmbeddedAws:
    """Start with ``start()``; every client and the Lambda process talk to it."""

    def __init__(self, workdir: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory() if workdir is None else None
        self.workdir = Path(self._tmp.name) if self._tmp else workdir  # type: ignore[assignment]
        fake_workspaces.install()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.port = _free_port()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.endpoint = ResponseEndpoint(self.workdir)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedAws:
        self._moto.start()
        self.endpoint.start()
        return self

    def stop(self) -> None:
        self.endpoint.stop()
        self._moto.stop()
        if self._tmp:
            self._tmp.cleanup()

    def reset(self) -> None:
        """Forget every resource and fault, as a fresh account would.

        moto's reset drops every account's and every Region's backends, so both
        REGION and SECOND_REGION (WorkSpaces, EC2's AMIs, custom image imports)
        start empty.
        """
        urllib.request.urlopen(
            urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        ).read()
        fake_workspaces.faults.reset()
        fake_workspaces.images_in_use.clear()
        fake_workspaces.stack_statuses.clear()
        fake_workspaces.bundles_in_use.clear()
        self.endpoint.reset()

    @property
    def env(self) -> dict[str, str]:
        """Environment for a process that should reach this AWS, in REGION."""
        return self.env_for(REGION)

    def env_for(self, region: str) -> dict[str, str]:
        """Environment for a process that should reach this AWS, in ``region``."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "SSL_CERT_FILE": str(self.endpoint.cert_path),
            # The one setting that lets the function answer to the local endpoint
            # instead of CloudFormation's buckets (trust.response_url_error).
            ENV_REHEARSAL_ENDPOINT: f"127.0.0.1:{self.endpoint.port}",
        }

    def client(self, service: str, region: str = REGION, **options: Any) -> Any:
        """A client of ``service`` in ``region``; ``options`` go to boto3 (e.g. ``config``)."""
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            **options,
        )

    def deploy_function(
        self,
        template: dict[str, Any],
        cdk_out: Path,
        stack_name: str,
        stack_id: str = "",
        region: str = REGION,
    ) -> LambdaFunction:
        """Create the provider function from the synthesized template and its asset,
        as the stack ``stack_id`` (a new one by default) would, in the stack's
        ``region`` (which its AWS calls then default to)."""
        stack_id = stack_id or new_stack_id(stack_name, region)
        logical_id, resource = _function_resource(template)
        props = resource["Properties"]
        asset_dir = _asset_dir(cdk_out, stack_name, props["Code"]["S3Key"])
        # Named as CloudFormation names it: after the stack it was deployed as,
        # with a suffix of its own (a stack deployed again gets a new function).
        suffix = stack_id.split("/")[2][:8]
        name = f"{stack_id.split('/')[1]}-{logical_id}"[:55] + f"-{suffix}"
        role_arn = self.lambda_role(f"{name[:59]}-role")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(asset_dir.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(asset_dir).as_posix())
        created = self.client("lambda", region).create_function(
            FunctionName=name,
            Runtime=props["Runtime"],
            Role=role_arn,
            Handler=props["Handler"],
            Code={"ZipFile": buffer.getvalue()},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Architectures=props.get("Architectures", ["x86_64"]),
        )
        # The template's aliases (the provider's one for EventBridge), of $LATEST.
        aliases = {
            alias_id: alias["Properties"]["Name"]
            for alias_id, alias in template["Resources"].items()
            if alias["Type"] == "AWS::Lambda::Alias"
        }
        for alias_name in aliases.values():
            self.client("lambda", region).create_alias(
                FunctionName=name, Name=alias_name, FunctionVersion="$LATEST"
            )
        # The template's own permissions (the provider's one for its poll rules),
        # on the alias that their FunctionName names, if any.
        for permission_id, permission in template["Resources"].items():
            if permission["Type"] != "AWS::Lambda::Permission":
                continue
            function_ref = permission["Properties"]["FunctionName"]
            alias_ref = function_ref.get("Ref") if isinstance(function_ref, dict) else None
            extra_qualifier = {"Qualifier": aliases[alias_ref]} if alias_ref in aliases else {}
            permission_props = _pseudo(permission["Properties"], stack_id, region)
            extra = {
                key: permission_props[key]
                for key in ("SourceArn", "SourceAccount")
                if key in permission_props
            }
            self.client("lambda", region).add_permission(
                FunctionName=name,
                StatementId=permission_id,
                Action=permission_props["Action"],
                Principal=permission_props["Principal"],
                **extra,
                **extra_qualifier,
            )
        return LambdaFunction(
            name=name,
            arn=created["FunctionArn"],
            asset_dir=asset_dir,
            handler=props["Handler"],
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={
                **_pseudo(props.get("Environment", {}).get("Variables", {}), stack_id, region),
                **_runtime_logging_environment(props.get("LoggingConfig", {})),
            },
            stack_id=stack_id,
            region=region,
        )

    def update_function_code(
        self, function: LambdaFunction, template: dict[str, Any], cdk_out: Path, stack_name: str
    ) -> None:
        """A stack update runs the function from its new template's asset."""
        _, resource = _function_resource(template)
        function.asset_dir = _asset_dir(
            cdk_out, stack_name, resource["Properties"]["Code"]["S3Key"]
        )

    def lambda_role(self, name: str) -> str:
        """An IAM role that Lambda may assume; its ARN."""
        role = self.client("iam").create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        return str(role["Role"]["Arn"])

    def images(self, region: str = REGION) -> dict[str, dict[str, Any]]:
        """Every image that exists in ``region``, by id, as DescribeWorkspaceImages shows it."""
        found = self.client("workspaces", region).describe_workspace_images().get("Images", [])
        return {image["ImageId"]: image for image in found}

    def poll_rules(self, region: str = REGION) -> list[dict[str, Any]]:
        from cdk_workspace_image.runtime import contract

        events = self.client("events", region)
        return list(events.list_rules(NamePrefix=contract.RULE_NAME_PREFIX).get("Rules", []))

    def state_parameters(self, region: str = REGION) -> dict[str, str]:
        """Every poll or watch state the handlers keep, by name (decrypted)."""
        from cdk_workspace_image.runtime import contract

        return {
            name: value
            for name, value in self._parameters(contract.STATE_PATH, region).items()
            if not name.startswith(contract.PARKED_PATH + "/") and "/schedule/" in name
        }

    def parked_index(self, region: str = REGION) -> dict[str, dict[str, Any]]:
        """The account's index of parked images: image id -> its entry."""
        from cdk_workspace_image.runtime import contract

        return {
            name.rsplit("/", 1)[-1]: json.loads(value)
            for name, value in self._parameters(contract.PARKED_PATH, region).items()
        }

    def _parameters(self, path: str, region: str) -> dict[str, str]:
        pages = (
            self.client("ssm", region)
            .get_paginator("get_parameters_by_path")
            .paginate(Path=path, Recursive=True, WithDecryption=True)
        )
        return {
            parameter["Name"]: parameter["Value"]
            for page in pages
            for parameter in page.get("Parameters", [])
        }

    def function_policy_statements(
        self, function_name: str, region: str = REGION
    ) -> list[dict[str, Any]]:
        client = self.client("lambda", region)
        try:
            policy = client.get_policy(FunctionName=function_name)["Policy"]
        except client.exceptions.ResourceNotFoundException:
            return []
        return list(json.loads(policy).get("Statement", []))


def _function_resource(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The template's one AWS::Lambda::Function (the provider's): logical id, resource."""
    return next(
        (key, value)
        for key, value in template["Resources"].items()
        if value["Type"] == "AWS::Lambda::Function"
    )
