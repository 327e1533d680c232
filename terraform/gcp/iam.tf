# One service account per kind of machine, each with only the roles it uses. The VMs pull
# images from Artifact Registry; the bastion only ships its logs and metrics.

resource "google_service_account" "bastion" {
  account_id   = "${var.name_prefix}-bastion"
  display_name = "play bastion (${var.env})"
  description  = "Runs the fleet's SSH bastion: writes logs and metrics, nothing else."
}

resource "google_service_account" "vm" {
  account_id   = "${var.name_prefix}-vm-sa"
  display_name = "play ${var.vm_role} VMs (${var.env})"
  description  = "Runs the fleet's app VMs: pulls images, writes logs and metrics."
}

locals {
  service_account_roles = {
    "bastion/logging.logWriter"       = { member = "serviceAccount:${google_service_account.bastion.email}", role = "roles/logging.logWriter" }
    "bastion/monitoring.metricWriter" = { member = "serviceAccount:${google_service_account.bastion.email}", role = "roles/monitoring.metricWriter" }
    "vm/logging.logWriter"            = { member = "serviceAccount:${google_service_account.vm.email}", role = "roles/logging.logWriter" }
    "vm/monitoring.metricWriter"      = { member = "serviceAccount:${google_service_account.vm.email}", role = "roles/monitoring.metricWriter" }
    "vm/artifactregistry.reader"      = { member = "serviceAccount:${google_service_account.vm.email}", role = "roles/artifactregistry.reader" }
  }
}

resource "google_project_iam_member" "fleet" {
  for_each = local.service_account_roles

  project = var.project
  role    = each.value.role
  member  = each.value.member
}
