use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
use cw_storage_plus::{Index, IndexList, IndexedMap, Item, MultiIndex};
use openledger_types::model::ModelInfo;

#[cw_serde]
pub struct Config {
    pub governance: Addr,
    pub datanet_registry: Addr,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const MODEL_SEQ: Item<u64> = Item::new("model_seq");

pub struct ModelIndexes<'a> {
    pub owner: MultiIndex<'a, Addr, ModelInfo, u64>,
}

impl IndexList<ModelInfo> for ModelIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<ModelInfo>> + '_> {
        let v: Vec<&dyn Index<ModelInfo>> = vec![&self.owner];
        Box::new(v.into_iter())
    }
}

/// Models by id, indexed by owner.
pub fn models<'a>() -> IndexedMap<u64, ModelInfo, ModelIndexes<'a>> {
    IndexedMap::new(
        "models",
        ModelIndexes {
            owner: MultiIndex::new(
                |_pk, m: &ModelInfo| m.owner.clone(),
                "models",
                "models__owner",
            ),
        },
    )
}
