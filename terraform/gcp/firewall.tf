# Ingress rules of the fleet network. GCP denies all other ingress by its implied rule at
# priority 65535, so every path in is listed here:
#   allowed_ssh_cidrs --22--> bastion --22, app_port--> VMs   (+ health checks, when enabled)
# VM rules match service accounts rather than network tags: attaching a service account needs
# iam.serviceAccountUser, while anyone who may edit an instance can add a tag.

resource "google_compute_firewall" "ssh_to_bastion" {
  name        = "${var.name_prefix}-allow-ssh-to-bastion"
  description = "SSH to the bastion from the operators' ranges only"
  network     = google_compute_network.fleet.id
  direction   = "INGRESS"
  priority    = 1000

  source_ranges = var.allowed_ssh_cidrs
  target_tags   = [local.bastion_tag]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "ssh_from_bastion" {
  name        = "${var.name_prefix}-allow-ssh-from-bastion"
  description = "SSH to the app VMs from the bastion only"
  network     = google_compute_network.fleet.id
  direction   = "INGRESS"
  priority    = 1000

  source_service_accounts = [google_service_account.bastion.email]
  target_service_accounts = [google_service_account.vm.email]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_firewall" "app_from_bastion" {
  name        = "${var.name_prefix}-allow-app-from-bastion"
  description = "The service's port on the app VMs, from the bastion only (smoke tests, health probes)"
  network     = google_compute_network.fleet.id
  direction   = "INGRESS"
  priority    = 1000

  source_service_accounts = [google_service_account.bastion.email]
  target_service_accounts = [google_service_account.vm.email]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.app_port)]
  }
}

resource "google_compute_firewall" "app_from_health_checks" {
  count       = var.allow_health_checks ? 1 : 0
  name        = "${var.name_prefix}-allow-app-from-health-checks"
  description = "The service's port on the app VMs, from Google's load-balancer health checkers"
  network     = google_compute_network.fleet.id
  direction   = "INGRESS"
  priority    = 1000

  # Google's documented health-check source ranges.
  source_ranges           = ["35.191.0.0/16", "130.211.0.0/22"]
  target_service_accounts = [google_service_account.vm.email]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.app_port)]
  }
}
