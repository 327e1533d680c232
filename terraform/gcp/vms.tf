# The app VMs: private addresses only (outbound through Cloud NAT), reachable on SSH from the
# bastion alone. play pushes its agent to them over SSH via the bastion.

resource "google_compute_instance" "vm" {
  #checkov:skip=CKV_GCP_38:Disks are encrypted at rest with Google-managed keys; CSEK means handing raw key material to every API call, which an unattended fleet cannot do. Set boot_disk_kms_key for CMEK.
  count = var.vm_count

  name         = format("%s-%s-%02d", var.name_prefix, replace(var.vm_role, "_", "-"), count.index + 1)
  description  = "play fleet ${var.vm_role} VM (${var.env})"
  machine_type = var.vm_machine_type
  zone         = element(local.vm_zones, count.index)
  tags         = [local.vm_tag]
  labels       = local.vm_labels

  boot_disk {
    auto_delete       = true
    kms_key_self_link = var.boot_disk_kms_key

    initialize_params {
      image  = var.image
      size   = var.boot_disk_size_gb
      type   = "pd-balanced"
      labels = local.vm_labels
    }
  }

  # No access_config block: the VMs get no public address.
  network_interface {
    subnetwork = google_compute_subnetwork.fleet.id
  }

  # Project-wide keys are blocked so that only this key (or OS Login) opens the machine; the
  # serial console stays off because it bypasses the firewall.
  metadata = {
    block-project-ssh-keys = "TRUE"
    enable-oslogin         = var.os_login ? "TRUE" : "FALSE"
    serial-port-enable     = "FALSE"
    ssh-keys               = var.os_login ? "" : "${var.ssh_user}:${trimspace(var.ssh_public_key)}"
  }

  service_account {
    email  = google_service_account.vm.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  can_ip_forward            = false
  deletion_protection       = var.deletion_protection
  allow_stopping_for_update = true

  depends_on = [google_project_iam_member.fleet, google_compute_router_nat.fleet]
}
