"""The benchmark (bench/run.sh): play vs ansible-playbook vs Mitogen on the local testbed."""
