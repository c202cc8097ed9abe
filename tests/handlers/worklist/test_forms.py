"""handlers.worklist.forms: each step's rules that need the case (`in_context`), checked when the
step is completed, and the same methods giving the web form its choices."""
import pytest
from marshmallow import ValidationError

from handlers.worklist.forms import FORMS, DispatchSchema
from tests.handlers.cases.test_lifecycle import CENTER, JIALIAN, SIMING, YINGCUI, file_case


def refusal(city, case_no, step, username, **form):
    with pytest.raises(ValidationError) as err:
        city.complete(case_no, step, username, **form)
    return err.value.messages


def test_every_step_of_the_process_has_a_form():
    assert set(FORMS) == {"accept_report", "verify_report", "dispatch", "handle", "approve_extension", "review",
                          "check_result", "close_case", "supervise", "supervise_reply", "approve_suspension",
                          "resume_case"}


def test_dispatch_goes_only_to_a_unit_directly_below_and_never_to_a_grid(city):
    case_no = file_case(city)
    assert refusal(city, case_no, "dispatch", "dispatcher", action="assign", unit=JIALIAN) == {
        "unit": [f"{JIALIAN} 不是 厦门市智慧城市管理监督指挥中心 的下级单位"]}
    assert refusal(city, case_no, "dispatch", "dispatcher", action="return", reason="x") == {
        "action": ["指挥中心不能退回"]}
    city.complete(case_no, "dispatch", "dispatcher", action="assign", unit=SIMING)
    city.complete(case_no, "dispatch", f"officer-{SIMING}", action="assign", unit=JIALIAN)
    city.complete(case_no, "dispatch", f"officer-{JIALIAN}", action="assign", unit=YINGCUI)
    grid = f"{YINGCUI}01"
    assert refusal(city, case_no, "dispatch", f"officer-{YINGCUI}", action="assign", unit=grid) == {
        "unit": ["不能派遣到网格，请派遣到社区或部门"]}
    assert refusal(city, case_no, "dispatch", f"officer-{YINGCUI}", action="assign", unit=SIMING) == {
        "action": ["盈翠社区 没有可下派的下级单位"]}      # a community has only grids below it
    assert city.task(case_no, "dispatch")["unit"] == YINGCUI       # nothing moved


def test_the_command_center_handling_itself_cannot_return(city):
    case_no = file_case(city)
    city.complete(case_no, "dispatch", "dispatcher", action="handle")
    assert refusal(city, case_no, "handle", "dispatcher", action="return", reason="x") == {
        "action": ["指挥中心自行处置的案件不能退回"]}


def test_a_merge_needs_another_open_case(city):
    first = file_case(city)
    voided = city.report(description="误报")
    city.complete(voided, "accept_report", "intake", decision="void", reason="误报")
    second = city.report(description="同一处污水")
    for target in ("2026030299999", second, voided):              # unknown, itself, ended
        assert refusal(city, second, "accept_report", "intake", decision="merge", duplicate_of=target) == {
            "duplicate_of": [f"没有可并入的在办案件 {target}"]}
    assert city.complete(second, "accept_report", "intake", decision="merge", duplicate_of=first) == "merged"


def test_the_choices_the_web_form_offers_are_the_rules(city):
    directory = city.directory
    assert DispatchSchema.targets(directory, CENTER) == [u for u in directory.children(CENTER)]
    assert DispatchSchema.targets(directory, YINGCUI) == []                  # only grids below a community
    assert "return" not in DispatchSchema.actions(directory, CENTER, CENTER)
    assert DispatchSchema.actions(directory, SIMING, CENTER) == ("assign", "handle", "return")
    assert DispatchSchema.actions(directory, YINGCUI, CENTER) == ("handle", "return")   # nothing to assign to
