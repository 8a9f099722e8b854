//! Oro's address dictionaries as the fake holds them: countries with their
//! regions (`oro_dictionary_country`, `oro_dictionary_region`) and address
//! types (`oro_address_type`). These are Oro's database, not a mapping
//! table: codes and ISO alpha-3 from platform AddressBundle
//! `Migrations/Data/ORM/data/countries.yml`, English names from
//! `Resources/translations/entities.en.yml` (`country.*`, `region.*`),
//! types from `Migrations/Data/ORM/LoadAddressTypeData.php`.
//!
//! Oro has 249 countries; the fake holds a few, whole: three with regions
//! in German-speaking Europe, the United States with its 57, and two
//! without regions (Hong Kong, the Isle of Man, as Oro's own address tests
//! use). A country the fake does not hold is refused as Oro refuses an
//! unknown one.

/// One row of `oro_dictionary_country` with its regions.
pub struct Country {
    pub iso2: &'static str,
    pub iso3: &'static str,
    pub name: &'static str,
    /// (combined code, code, name), in combined-code order.
    pub regions: &'static [(&'static str, &'static str, &'static str)],
}

impl Country {
    pub fn has_regions(&self) -> bool {
        !self.regions.is_empty()
    }
}

/// Address types by id (`name`) and label (AddressBundle
/// `entities.en.yml` `address_type.*`).
pub const ADDRESS_TYPES: [(&str, &str); 2] = [("billing", "Billing"), ("shipping", "Shipping")];

pub const COUNTRIES: &[Country] = &[
    Country {
        iso2: "AT",
        iso3: "AUT",
        name: "Austria",
        regions: &[
            ("AT-1", "1", "Burgenland"),
            ("AT-2", "2", "Kärnten"),
            ("AT-3", "3", "Niederösterreich"),
            ("AT-4", "4", "Oberösterreich"),
            ("AT-5", "5", "Salzburg"),
            ("AT-6", "6", "Steiermark"),
            ("AT-7", "7", "Tirol"),
            ("AT-8", "8", "Vorarlberg"),
            ("AT-9", "9", "Wien"),
        ],
    },
    Country {
        iso2: "CH",
        iso3: "CHE",
        name: "Switzerland",
        regions: &[
            ("CH-AG", "AG", "Aargau"),
            ("CH-AI", "AI", "Appenzell Innerrhoden"),
            ("CH-AR", "AR", "Appenzell Ausserrhoden"),
            ("CH-BE", "BE", "Berne"),
            ("CH-BL", "BL", "Basel-Landschaft"),
            ("CH-BS", "BS", "Basel-Stadt"),
            ("CH-FR", "FR", "Fribourg"),
            ("CH-GE", "GE", "Genève"),
            ("CH-GL", "GL", "Glarus"),
            ("CH-GR", "GR", "Graubünden"),
            ("CH-JU", "JU", "Jura"),
            ("CH-LU", "LU", "Luzern"),
            ("CH-NE", "NE", "Neuchâtel"),
            ("CH-NW", "NW", "Nidwalden"),
            ("CH-OW", "OW", "Obwalden"),
            ("CH-SG", "SG", "Sankt Gallen"),
            ("CH-SH", "SH", "Schaffhausen"),
            ("CH-SO", "SO", "Solothurn"),
            ("CH-SZ", "SZ", "Schwyz"),
            ("CH-TG", "TG", "Thurgau"),
            ("CH-TI", "TI", "Ticino"),
            ("CH-UR", "UR", "Uri"),
            ("CH-VD", "VD", "Vaud"),
            ("CH-VS", "VS", "Valais"),
            ("CH-ZG", "ZG", "Zug"),
            ("CH-ZH", "ZH", "Zürich"),
        ],
    },
    Country {
        iso2: "DE",
        iso3: "DEU",
        name: "Germany",
        regions: &[
            ("DE-BB", "BB", "Brandenburg"),
            ("DE-BE", "BE", "Berlin"),
            ("DE-BW", "BW", "Baden-Württemberg"),
            ("DE-BY", "BY", "Bayern"),
            ("DE-HB", "HB", "Bremen"),
            ("DE-HE", "HE", "Hessen"),
            ("DE-HH", "HH", "Hamburg"),
            ("DE-MV", "MV", "Mecklenburg-Vorpommern"),
            ("DE-NI", "NI", "Niedersachsen"),
            ("DE-NW", "NW", "Nordrhein-Westfalen"),
            ("DE-RP", "RP", "Rheinland-Pfalz"),
            ("DE-SH", "SH", "Schleswig-Holstein"),
            ("DE-SL", "SL", "Saarland"),
            ("DE-SN", "SN", "Sachsen"),
            ("DE-ST", "ST", "Sachsen-Anhalt"),
            ("DE-TH", "TH", "Thüringen"),
        ],
    },
    Country {
        iso2: "HK",
        iso3: "HKG",
        name: "Hong Kong",
        regions: &[],
    },
    Country {
        iso2: "IM",
        iso3: "IMN",
        name: "Isle of Man",
        regions: &[],
    },
    Country {
        iso2: "US",
        iso3: "USA",
        name: "United States",
        regions: &[
            ("US-AK", "AK", "Alaska"),
            ("US-AL", "AL", "Alabama"),
            ("US-AR", "AR", "Arkansas"),
            ("US-AS", "AS", "American Samoa"),
            ("US-AZ", "AZ", "Arizona"),
            ("US-CA", "CA", "California"),
            ("US-CO", "CO", "Colorado"),
            ("US-CT", "CT", "Connecticut"),
            ("US-DC", "DC", "District of Columbia"),
            ("US-DE", "DE", "Delaware"),
            ("US-FL", "FL", "Florida"),
            ("US-GA", "GA", "Georgia"),
            ("US-GU", "GU", "Guam"),
            ("US-HI", "HI", "Hawaii"),
            ("US-IA", "IA", "Iowa"),
            ("US-ID", "ID", "Idaho"),
            ("US-IL", "IL", "Illinois"),
            ("US-IN", "IN", "Indiana"),
            ("US-KS", "KS", "Kansas"),
            ("US-KY", "KY", "Kentucky"),
            ("US-LA", "LA", "Louisiana"),
            ("US-MA", "MA", "Massachusetts"),
            ("US-MD", "MD", "Maryland"),
            ("US-ME", "ME", "Maine"),
            ("US-MI", "MI", "Michigan"),
            ("US-MN", "MN", "Minnesota"),
            ("US-MO", "MO", "Missouri"),
            ("US-MP", "MP", "Northern Mariana Islands"),
            ("US-MS", "MS", "Mississippi"),
            ("US-MT", "MT", "Montana"),
            ("US-NC", "NC", "North Carolina"),
            ("US-ND", "ND", "North Dakota"),
            ("US-NE", "NE", "Nebraska"),
            ("US-NH", "NH", "New Hampshire"),
            ("US-NJ", "NJ", "New Jersey"),
            ("US-NM", "NM", "New Mexico"),
            ("US-NV", "NV", "Nevada"),
            ("US-NY", "NY", "New York"),
            ("US-OH", "OH", "Ohio"),
            ("US-OK", "OK", "Oklahoma"),
            ("US-OR", "OR", "Oregon"),
            ("US-PA", "PA", "Pennsylvania"),
            ("US-PR", "PR", "Puerto Rico"),
            ("US-RI", "RI", "Rhode Island"),
            ("US-SC", "SC", "South Carolina"),
            ("US-SD", "SD", "South Dakota"),
            ("US-TN", "TN", "Tennessee"),
            ("US-TX", "TX", "Texas"),
            ("US-UM", "UM", "United States Minor Outlying Islands"),
            ("US-UT", "UT", "Utah"),
            ("US-VA", "VA", "Virginia"),
            ("US-VI", "VI", "Virgin Islands, U.S."),
            ("US-VT", "VT", "Vermont"),
            ("US-WA", "WA", "Washington"),
            ("US-WI", "WI", "Wisconsin"),
            ("US-WV", "WV", "West Virginia"),
            ("US-WY", "WY", "Wyoming"),
        ],
    },
];

pub fn country(iso2: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso2 == iso2)
}

/// A region by combined code (`DE-BY`) with its country.
pub fn region(combined: &str) -> Option<(&'static Country, &'static str, &'static str)> {
    COUNTRIES.iter().find_map(|c| {
        c.regions
            .iter()
            .find(|r| r.0 == combined)
            .map(|r| (c, r.1, r.2))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_belong_to_their_country_and_are_in_code_order() {
        for c in COUNTRIES {
            let mut codes: Vec<&str> = c.regions.iter().map(|r| r.0).collect();
            let sorted = {
                let mut s = codes.clone();
                s.sort_unstable();
                s
            };
            assert_eq!(codes, sorted, "{}", c.iso2);
            codes.dedup();
            assert_eq!(codes.len(), c.regions.len(), "{}", c.iso2);
            for (combined, code, _) in c.regions {
                assert_eq!(*combined, format!("{}-{code}", c.iso2));
            }
        }
        assert_eq!(
            region("DE-BY").map(|r| (r.0.iso2, r.2)),
            Some(("DE", "Bayern"))
        );
        assert!(country("IM").is_some_and(|c| !c.has_regions()));
    }
}
