//! `cosmos.bank.v1beta1.Query` over gRPC.

use cosmos_sdk_proto::cosmos::bank::v1beta1::query_server::Query;
use cosmos_sdk_proto::cosmos::bank::v1beta1::*;

use super::{query_service, GrpcState};

pub struct Bank(pub GrpcState);

query_service! {
    Bank: Query, "cosmos.bank.v1beta1.Query";
    routed {
        balance(QueryBalanceRequest) -> QueryBalanceResponse = "Balance";
        all_balances(QueryAllBalancesRequest) -> QueryAllBalancesResponse = "AllBalances";
        spendable_balances(QuerySpendableBalancesRequest) -> QuerySpendableBalancesResponse = "SpendableBalances";
        total_supply(QueryTotalSupplyRequest) -> QueryTotalSupplyResponse = "TotalSupply";
        supply_of(QuerySupplyOfRequest) -> QuerySupplyOfResponse = "SupplyOf";
        params(QueryParamsRequest) -> QueryParamsResponse = "Params";
        denom_metadata(QueryDenomMetadataRequest) -> QueryDenomMetadataResponse = "DenomMetadata";
        denoms_metadata(QueryDenomsMetadataRequest) -> QueryDenomsMetadataResponse = "DenomsMetadata";
    }
    unimplemented {
        spendable_balance_by_denom(QuerySpendableBalanceByDenomRequest) -> QuerySpendableBalanceByDenomResponse;
        denom_metadata_by_query_string(QueryDenomMetadataByQueryStringRequest) -> QueryDenomMetadataByQueryStringResponse;
        denom_owners(QueryDenomOwnersRequest) -> QueryDenomOwnersResponse;
        denom_owners_by_query(QueryDenomOwnersByQueryRequest) -> QueryDenomOwnersByQueryResponse;
        send_enabled(QuerySendEnabledRequest) -> QuerySendEnabledResponse;
    }
}
