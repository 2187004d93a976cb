//! The PCI functions the map names, with display names from the compiled-in
//! PCI ID database (`pci-ids`, so output does not depend on the host's
//! pci.ids). Names are for people only: every rule matches numeric IDs.

use dom0scope_facts::pci::PciFunction;
use serde::Serialize;

/// One PCI function as the map shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// `SSSS:BB:DD.F`.
    pub sbdf: String,
    /// `vvvv:dddd`.
    pub ids: String,
    /// Class code `ccsspp`.
    pub class: String,
    /// The platform role it was recognised in, by IDs and class.
    pub role: Option<&'static str>,
    /// Vendor name from the compiled-in PCI ID database; None when it does not list the vendor.
    pub vendor_name: Option<&'static str>,
    /// Device name from the same database; None when it does not list the device.
    pub device_name: Option<&'static str>,
    /// Subclass name (prog-if when the database has one).
    pub class_name: Option<&'static str>,
}

impl Device {
    pub(crate) fn of(f: &PciFunction) -> Device {
        let dev = pci_ids::Device::from_vid_pid(f.vendor_id, f.device_id);
        let vendor =
            <pci_ids::Vendor as pci_ids::FromId<u16>>::from_id(f.vendor_id).map(|v| v.name());
        let (base, sub, prog) = ((f.class >> 16) as u8, (f.class >> 8) as u8, f.class as u8);
        let subclass = pci_ids::Subclass::from_cid_sid(base, sub);
        let class_name = subclass.map(|s| {
            s.prog_ifs()
                .find(|p| p.id() == prog)
                .map_or(s.name(), |p| p.name())
        });
        Device {
            sbdf: f.sbdf.clone(),
            ids: format!("{:04x}:{:04x}", f.vendor_id, f.device_id),
            class: format!("{:06x}", f.class),
            role: crate::chipset::role(f),
            vendor_name: vendor,
            device_name: dev.map(|d| d.name()),
            class_name,
        }
    }

    /// One line for people: ids, names, class.
    pub fn describe(&self) -> String {
        let mut s = self.ids.clone();
        match (self.vendor_name, self.device_name) {
            (Some(v), Some(d)) => s.push_str(&format!(" {v} {d}")),
            (Some(v), None) => s.push_str(&format!(" {v} (device not in the PCI ID database)")),
            _ => s.push_str(" (not in the PCI ID database)"),
        }
        match self.class_name {
            Some(c) => s.push_str(&format!(" [{c}, class {}]", self.class)),
            None => s.push_str(&format!(" [class {}]", self.class)),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(vendor_id: u16, device_id: u16, class: u32) -> PciFunction {
        PciFunction {
            sbdf: "0000:00:1f.3".into(),
            segment: 0,
            bus: 0,
            device: 0x1f,
            function: 3,
            vendor_id,
            device_id,
            class,
            header_type: Some(0),
            config_len: 0,
            config: vec![],
            resources: vec![],
        }
    }

    #[test]
    fn names_come_from_the_database_and_unknowns_say_so() {
        let d = Device::of(&f(0x8086, 0x2930, 0x0c0500));
        assert_eq!(d.vendor_name, Some("Intel Corporation"));
        assert_eq!(d.device_name, Some("82801I (ICH9 Family) SMBus Controller"));
        assert_eq!(d.class_name, Some("SMBus"));
        assert_eq!(d.role, Some("SMBus controller"));
        assert_eq!(
            d.describe(),
            "8086:2930 Intel Corporation 82801I (ICH9 Family) SMBus Controller [SMBus, class 0c0500]"
        );
        let u = Device::of(&f(0xf00d, 0x0001, 0xff0000));
        assert_eq!(
            u.describe(),
            "f00d:0001 (not in the PCI ID database) [class ff0000]"
        );
    }
}
