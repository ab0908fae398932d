from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Clinic, User


@admin.register(User)
class DiaryUserAdmin(UserAdmin):
    list_display = ("username", "role", "clinic", "is_active", "is_staff")
    list_filter = ("role", "clinic", "is_active", "is_staff")
    fieldsets = (*UserAdmin.fieldsets, ("Clinic role", {"fields": ("role", "clinic")}))


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    search_fields = ("name",)
