# The bastion: the fleet's only machine with a public address, and the SSH jump host play
# connects through. It holds no credentials of its own beyond a log/metric-writing account.

resource "google_compute_address" "bastion" {
  name         = "${var.name_prefix}-bastion"
  description  = "Static public address of the bastion, so known_hosts and allowlists survive a rebuild"
  region       = var.region
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
}

resource "google_compute_instance" "bastion" {
  #checkov:skip=CKV_GCP_40:The bastion is the single SSH entry point and needs a public address; port 22 on it is open only to allowed_ssh_cidrs.
  #checkov:skip=CKV_GCP_38:Disks are encrypted at rest with Google-managed keys; CSEK means handing raw key material to every API call, which an unattended fleet cannot do. Set boot_disk_kms_key for CMEK.
  name         = "${var.name_prefix}-bastion"
  description  = "play fleet SSH bastion (${var.env})"
  machine_type = var.bastion_machine_type
  zone         = var.zone
  tags         = [local.bastion_tag]
  labels       = local.bastion_labels

  boot_disk {
    auto_delete       = true
    kms_key_self_link = var.boot_disk_kms_key

    initialize_params {
      image  = var.image
      size   = var.boot_disk_size_gb
      type   = "pd-balanced"
      labels = local.bastion_labels
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.fleet.id

    access_config {
      nat_ip       = google_compute_address.bastion.address
      network_tier = "PREMIUM"
    }
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
    email = google_service_account.bastion.email
    # Access is decided by the account's IAM roles (iam.tf); the cloud-platform scope is
    # Google's recommended pairing for a dedicated service account.
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

  depends_on = [google_project_iam_member.fleet]
}
