from django.urls import path

from devices import exports, views

app_name = "devices"

urlpatterns = [
    path("desk/", views.desk_page, name="desk"),
    path("desk/search/", views.desk_search, name="desk_search"),
    path("desk/roster/", views.desk_roster, name="desk_roster"),
    path("desk/enter/", views.desk_enter, name="desk_enter"),
    path("desk/<int:pk>/in/", views.desk_check_in, name="desk_check_in"),
    path("desk/<int:pk>/out/", views.desk_check_out, name="desk_check_out"),
    path("desk/undo/<int:pk>/", views.desk_undo, name="desk_undo"),
    path("desk/class/", views.desk_class, name="desk_class"),
]

urlpatterns += [
    path("confiscations/", views.ConfiscationListView.as_view(), name="confiscations"),
    path("confiscations/export.csv", exports.confiscations_csv, name="confiscations_csv"),
    path("confiscations/new/", views.ConfiscationCreateView.as_view(), name="confiscation_new"),
    path("confiscations/<int:pk>/", views.ConfiscationDetailView.as_view(), name="confiscation"),
    path("confiscations/<int:pk>/move/", views.confiscation_move, name="confiscation_move"),
    path("end-of-day/", views.end_of_day, name="end_of_day"),
    path("end-of-day/print/", views.end_of_day_print, name="end_of_day_print"),
    path("end-of-day/reconcile/", views.end_of_day_reconcile, name="end_of_day_reconcile"),
    path("end-of-day/absent/", views.end_of_day_absent, name="end_of_day_absent"),
    path("end-of-day/<int:pk>/explain/", views.end_of_day_explain, name="end_of_day_explain"),
]

urlpatterns += [
    path("exceptions/", views.exceptions, name="exceptions"),
    path("exceptions/<slug:kind>/new/", views.exception_new, name="exception_new"),
    path("exceptions/<slug:kind>/<int:pk>/", views.exception_detail, name="exception"),
]

urlpatterns += [
    path("searches/", views.SearchListView.as_view(), name="searches"),
    path("searches/new/", views.search_new, name="search_new"),
    path("searches/<int:pk>/", views.search_detail, name="search"),
    path("searches/<int:pk>/told/", views.search_told, name="search_told"),
    path("searches/authorised/", views.search_authorisations, name="search_authorisations"),
    path(
        "searches/authorised/<int:pk>/revoke/",
        views.search_authorisation_revoke,
        name="search_authorisation_revoke",
    ),
]
