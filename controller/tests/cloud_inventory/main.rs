//! Cloud inventories against real protocols on 127.0.0.1: a local OAuth2 + GCE server for the
//! gcp_compute plugin, moto's EC2 server for aws_ec2 (installed into a venv on first use, see
//! `moto`), Terraform output documents and a stand-in `terraform`, and one playbook run on the
//! local testbed from a Terraform-outputs inventory.

mod support;

mod ec2;
mod gcp;
mod moto;
mod terraform;
mod testbed;
