//! IOMMU lines: whether it is on, how it treats dom0's DMA, interrupt remapping,
//! and the VT-d / AMD-Vi units (Xen `drivers/passthrough/{iommu.c,vtd,amd}`).

use super::builder::{Builder, hex};
use super::lines::XenLine;
use super::model::{Dom0IommuMode, Located};

pub(crate) fn line(b: &mut Builder, l: &XenLine<'_>) -> bool {
    let body = l.body.trim();
    if let Some(rest) = body.strip_prefix("I/O virtualisation ") {
        let value = match rest {
            "enabled" => true,
            "disabled" => false,
            _ => {
                b.warn(l, "unreadable I/O virtualisation line");
                return true;
            }
        };
        let line = b.cite(l);
        b.log.iommu.enabled = Some(Located { value, line });
        return true;
    }
    if let Some(rest) = body.strip_prefix("- Dom0 mode: ") {
        let value = match rest {
            "Passthrough" => Dom0IommuMode::Passthrough,
            "Strict" => Dom0IommuMode::Strict,
            "Relaxed" => Dom0IommuMode::Relaxed,
            _ => {
                b.warn(l, "unknown dom0 IOMMU mode");
                return true;
            }
        };
        let line = b.cite(l);
        b.log.iommu.dom0_mode = Some(Located { value, line });
        return true;
    }
    if let Some(rest) = body.strip_prefix("Interrupt remapping ") {
        let value = match rest {
            "enabled" => true,
            "disabled" => false,
            _ => return false,
        };
        let line = b.cite(l);
        b.log.iommu.interrupt_remapping = Some(Located { value, line });
        return true;
    }
    if let Some(rest) = body.strip_prefix("Intel VT-d ") {
        if rest.starts_with("iommu ") && rest.contains("supported page sizes") {
            b.cite(l);
            b.log.iommu.vtd_units += 1;
            return true;
        }
        let (feature, on) = if let Some(f) = rest.strip_suffix(" not enabled.") {
            (f, false)
        } else if let Some(f) = rest.strip_suffix(" enabled.") {
            (f, true)
        } else {
            return false;
        };
        b.cite(l);
        b.log.iommu.vtd_features.push((feature.to_owned(), on));
        return true;
    }
    if let Some(rest) = body.strip_prefix("[VT-D]") {
        let rest = rest.trim_start();
        if let Some(addr) = rest.strip_prefix("dmaru->address = ") {
            match hex(addr) {
                Some(value) => {
                    let line = b.cite(l);
                    if !b.log.iommu.vtd_drhd.iter().any(|d| d.value == value) {
                        b.log.iommu.vtd_drhd.push(Located { value, line });
                    }
                }
                None => b.warn(l, "unreadable DRHD address"),
            }
            return true;
        }
        return false;
    }
    if let Some(rest) = body.strip_prefix("AMD-Vi: IOMMU ")
        && rest.ends_with(" Enabled.")
    {
        b.cite(l);
        b.log.iommu.amd_vi_units += 1;
        return true;
    }
    false
}
