//! End-to-end tests: the real `play` binary against the local testbed (a bastion and VMs as
//! systemd containers on a private network, see tests/testbed/), plus command-line checks that
//! need no hosts. One test binary; tests that use the testbed take a shared lock so they run
//! one at a time against the same VMs, while host-less tests run in parallel.

mod gated;
mod harness;
mod running;

mod bad_input;
mod bad_input_more;
mod canary;
mod concurrent_runs;
mod core_run;
mod docker_no_become;
mod faults;
mod faults_network;
mod faults_release;
mod file_modes;
mod plan_apply;
mod release_flow;
mod schedule;
mod vault_run;
